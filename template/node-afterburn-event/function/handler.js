'use strict';

// The function: edit this file (and add modules and dependencies in package.json beside it).
// Greets on GET (?name=...), echoes the request body on any other method.
module.exports = async (event, context) => {
  if (event.method === 'GET') {
    const name = event.query.name === undefined ? 'world' : event.query.name;
    if (name === '') {
      throw new Error('name must not be empty');
    }
    return { statusCode: 200, body: { message: `Hello, ${name}!` } };
  }
  if (event.body.length === 0) {
    return { statusCode: 400, body: 'nothing to echo: send a request body\n' };
  }
  return {
    statusCode: 200,
    headers: {
      'Content-Type': event.headers['content-type'] || 'application/octet-stream',
      'X-Body-Size': String(event.body.length),
    },
    body: event.body,
  };
};
