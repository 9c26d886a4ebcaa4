'use strict'

// GET greets ?name=; any other method answers what arrived: the parsed body and its Content-Type.
module.exports = async (event, context) => {
  if (event.method === 'GET') {
    return context
      .status(200)
      .succeed({ message: `Hello, ${event.query.name || 'world'}!` })
  }
  return context
    .status(200)
    .succeed({ body: event.body, 'content-type': event.headers['content-type'] })
}
