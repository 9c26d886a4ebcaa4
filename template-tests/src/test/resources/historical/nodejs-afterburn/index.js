// A hot loop that behaves as the historical nodejs-afterburn template's did (written here from its
// documented behaviour): each stdin 'data' event is taken for one whole request, head and body
// together; a chunk without the blank line ends the process; every answer is 200.
'use strict';

const handler = require('./handler');

process.stdin.on('data', (chunk) => {
  const text = chunk.toString();
  const blank = text.indexOf('\r\n\r\n');
  if (blank < 0) {
    console.log('no header block in this read');
    process.exit(1);
  }
  const body = text.slice(blank + 4);
  handler(body, (error, result) => {
    const type = result !== null && typeof result === 'object' ? 'Content-Type: application/json\r\n' : '';
    const out = typeof result === 'object' ? JSON.stringify(result) : String(result);
    process.stdout.write(`HTTP/1.1 200 OK\r\n${type}Content-Length: ${Buffer.byteLength(out)}\r\n\r\n${out}`);
  });
});
