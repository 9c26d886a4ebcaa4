'use strict';

// Tests of the entry program itself (the template's, not the function's): node --test index.test.js
const assert = require('node:assert/strict');
const { PassThrough } = require('node:stream');
const test = require('node:test');
const { run } = require('./index');

// What the loop writes for the requests in `raw`, sent in pieces of `piece` bytes.
async function serve(raw, handler, piece = raw.length) {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks = [];
  output.on('data', (chunk) => chunks.push(chunk));
  const done = run(handler, input, output);
  const bytes = Buffer.from(raw, 'latin1');
  for (let i = 0; i < bytes.length; i += piece) input.write(bytes.subarray(i, i + piece));
  input.end();
  await done;
  return Buffer.concat(chunks);
}

test('requests are answered one after the other, framed in bytes, however they arrive', async () => {
  const seen = [];
  const handler = async (event, context) => {
    seen.push([event.method, event.path, event.query, event.rawQuery, [...event.body], context.callId]);
    return { body: 'grüß' };
  };
  const raw = 'POST /a%20b?x=1&x=2 HTTP/1.1\r\nContent-Length: 4\r\nX-Call-Id: c1\r\n\r\n\x00\xff\r\n'
    + 'GET /next HTTP/1.1\r\nContent-Length: 0\r\n\r\n';

  const out = await serve(raw, handler, 3);

  assert.deepEqual(seen, [['POST', '/a b', { x: '2' }, 'x=1&x=2', [0, 255, 13, 10], 'c1'], ['GET', '/next', {}, '', [], undefined]]);
  const one = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 6\r\n\r\ngrüß';
  assert.equal(out.toString('utf8'), one + one);
});

test('a request without Content-Length has no body', async () => {
  const out = await serve('GET / HTTP/1.1\r\nHost: x\r\n\r\n', async (event) => ({ body: event.body.length }));
  assert.ok(out.toString().endsWith('\r\n\r\n0'));
});

test('HEAD gets the length without the body', async () => {
  const out = await serve('HEAD / HTTP/1.1\r\nContent-Length: 0\r\n\r\n', async () => ({ body: 'four' }));
  assert.ok(out.toString().endsWith('content-length: 4\r\n\r\n'));
});

test('a handler that throws gets 500 and the loop goes on', async () => {
  const handler = async (event) => {
    if (event.path === '/bad') throw new Error('no good');
    return { body: 'fine' };
  };
  const out = (await serve('GET /bad HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /good HTTP/1.1\r\nContent-Length: 0\r\n\r\n', handler)).toString();
  assert.match(out, /^HTTP\/1\.1 500 Internal Server Error/);
  assert.match(out, /handler threw Error: no good/);
  assert.ok(out.endsWith('fine'));
});

test('an invalid result gets 500 with the reason', async () => {
  const out = (await serve('GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n', async () => ({ status: 201 }))).toString();
  assert.match(out, /unknown keys status/);
});

test('a malformed path gets 400', async () => {
  const out = (await serve('GET /%zz HTTP/1.1\r\nContent-Length: 0\r\n\r\n', async () => ({ body: 'x' }))).toString();
  assert.match(out, /^HTTP\/1\.1 400 Bad Request/);
});
