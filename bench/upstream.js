// The upstream of the http-mode benchmark: Node's own http module, no framework.
//   node upstream.js PORT
// GET anything: "ok"; POST /echo: the body streamed back as it arrives.
const http = require('http');

http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/echo') {
    const headers = {'Content-Type': 'application/octet-stream'};
    if (req.headers['content-length']) headers['Content-Length'] = req.headers['content-length'];
    res.writeHead(200, headers);
    req.pipe(res);
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': 3});
    res.end('ok\n');
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
