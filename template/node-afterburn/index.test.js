'use strict';

// Tests of the entry program itself (the template's, not the function's): node --test index.test.js
const assert = require('node:assert/strict');
const { PassThrough } = require('node:stream');
const test = require('node:test');
const { run, encode } = require('./index');

// What the loop writes for the requests in `raw`, sent in pieces of `piece` bytes.
async function serve(raw, handler, piece = raw.length) {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks = [];
  output.on('data', (chunk) => chunks.push(chunk));
  const done = run(handler, input, output);
  const bytes = Buffer.from(raw, 'utf8');
  for (let i = 0; i < bytes.length; i += piece) input.write(bytes.subarray(i, i + piece));
  input.end();
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

test('requests are answered one after the other with the body as text, however they arrive', async () => {
  const seen = [];
  const handler = (body, callback) => { seen.push(body); callback(undefined, `got ${body}`); };
  const raw = 'POST / HTTP/1.1\r\nContent-Length: 6\r\n\r\ngrüß' + 'GET / HTTP/1.1\r\n\r\n';
  const out = await serve(raw, handler, 3);
  assert.deepEqual(seen, ['grüß', '']);
  assert.equal(out.split('HTTP/1.1 200 OK\r\n').length, 3);
  assert.match(out, /content-length: 10\r\ncontent-type: text\/plain; charset=utf-8\r\n\r\ngot grüß/);
});

test('a returned value or promise answers too', async () => {
  const out = await serve('GET / HTTP/1.1\r\n\r\n', async () => ({ a: 1 }));
  assert.match(out, /content-type: application\/json\r\n\r\n\{"a":1\}$/);
});

test('results are JSON, bytes, text or nothing', () => {
  assert.equal(encode([1])[2].toString(), '[1]');
  assert.equal(encode(Buffer.from([0, 255]))[1]['content-type'], 'application/octet-stream');
  assert.equal(encode(7)[2].toString(), '7');
  assert.equal(encode(undefined)[2].length, 0);
});

test('an error is answered 500 and the loop goes on', async () => {
  const handler = (body, callback) => (body === 'bad' ? callback(new Error('no good')) : callback(undefined, 'fine'));
  const out = await serve('POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nbad' + 'POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok', handler);
  assert.match(out, /^HTTP\/1.1 500 Internal Server Error\r\n/);
  assert.match(out, /handler failed: no good/);
  assert.match(out, /fine$/);
});
