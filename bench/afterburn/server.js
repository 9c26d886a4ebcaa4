// The handler behind Node's own http module, for http mode: node server.js PORT
'use strict';
const http = require('http');
const handle = require('./handler.js');

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const result = await handle({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks) }, {});
    res.writeHead(result.statusCode || 200, { ...result.headers, 'Content-Length': result.body.length });
    res.end(result.body);
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
