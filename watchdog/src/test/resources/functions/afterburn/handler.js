// Test handler for loop.js; behaviour chosen by path (see handler.py, the same paths).
'use strict';

module.exports = async (event, context) => {
  switch (event.path) {
    case '/echo':
      return { statusCode: 200, headers: { 'Content-Type': event.headers['content-type'] || 'application/octet-stream' }, body: event.body };
    case '/info':
      return { body: { method: event.method, path: event.path, query: event.query, headers: event.headers, length: event.body.length, pid: process.pid, call_id: context.callId } };
    case '/slow':
      await new Promise((resolve) => setTimeout(resolve, parseInt((event.query.ms || ['100'])[0], 10)));
      return String(process.pid);
    case '/meet': {
      const fs = require('fs');
      const path = require('path');
      const folder = event.query.dir[0];
      const count = parseInt(event.query.n[0], 10);
      fs.writeFileSync(path.join(folder, String(process.pid)), '');
      const deadline = Date.now() + 60000;
      while (fs.readdirSync(folder).length < count) {
        if (Date.now() > deadline) {
          return 'alone';
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return String(process.pid);
    }
    case '/pid':
      return String(process.pid);
    case '/raise':
      throw new Error('boom');
    case '/exit':
      process.exit(parseInt((event.query.code || ['3'])[0], 10));
      break;
    case '/log':
      console.log('handler says hello');
      return 'logged';
    case '/utf8':
      return 'héllo wörld ✓ 世界 🚀';
    default:
      return { statusCode: 404, body: `no such path: ${event.path}` };
  }
};
