'use strict';

// Tests of the entry program itself (the template's, not the function's): node --test index.test.js
const assert = require('node:assert/strict');
const http = require('node:http');
const test = require('node:test');
const { createServer, encode, InvalidResult } = require('./index');

test('bytes are sent as they are', () => {
  const [status, headers, data] = encode({ body: Buffer.from([0, 255]) });
  assert.equal(status, 200);
  assert.equal(headers['content-type'], 'application/octet-stream');
  assert.deepEqual([...data], [0, 255]);
});

test('a string is UTF-8 text', () => {
  const [, headers, data] = encode({ body: 'grüß' });
  assert.equal(headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(data.toString('utf8'), 'grüß');
});

test('objects, arrays and numbers are JSON', () => {
  assert.equal(encode({ body: { a: [1, 2] } })[2].toString(), '{"a":[1,2]}');
  assert.equal(encode({ body: { a: 1 } })[1]['content-type'], 'application/json');
  assert.equal(encode({ body: [true] })[2].toString(), '[true]');
  assert.equal(encode({ body: 3 })[2].toString(), '3');
});

test('no body is empty without a content type', () => {
  const [status, headers, data] = encode({ statusCode: 204 });
  assert.equal(status, 204);
  assert.equal(headers['content-type'], undefined);
  assert.equal(data.length, 0);
});

test("the handler's content type wins and framing headers are dropped", () => {
  const [, headers] = encode({ headers: { 'Content-Type': 'text/csv', 'Content-Length': '1', 'Set-Cookie': ['a=1', 'b=2'] }, body: 'x' });
  assert.deepEqual(headers, { 'content-type': 'text/csv', 'set-cookie': ['a=1', 'b=2'], 'content-length': '1' });
});

test('invalid results are refused with the reason', () => {
  for (const [result, reason] of [['text', 'returned string'], [{ status: 200 }, 'unknown keys status'],
    [{ statusCode: '200' }, 'statusCode "200"'], [{ statusCode: 99 }, 'statusCode 99'], [null, 'returned null'],
    [{ body: () => 1 }, 'cannot be sent as JSON']]) {
    assert.throws(() => encode(result), (error) => error instanceof InvalidResult && error.message.includes(reason), reason);
  }
});

function serve(t, handler) {
  const server = createServer(handler);
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

function request(port, method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, method, path, headers, host: '127.0.0.1' }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the event carries the request', async (t) => {
  let seen;
  const port = await serve(t, async (event, context) => {
    seen = { ...event, body: event.body.toString(), header: event.headers['x-thing'], callId: context.callId };
    return { body: 'ok' };
  });
  const response = await request(port, 'PUT', '/a%20b?x=1&x=2&y=', 'data', { 'X-Thing': 't', 'X-Call-Id': 'c1' });
  assert.equal(response.body, 'ok');
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.path, '/a b');
  assert.deepEqual(seen.query, { x: '2', y: '' });
  assert.equal(seen.rawQuery, 'x=1&x=2&y=');
  assert.equal(seen.header, 't');
  assert.equal(seen.body, 'data');
  assert.equal(seen.callId, 'c1');
});

test('a throw is answered 500 with its message', async (t) => {
  const port = await serve(t, async () => { throw new TypeError('missing'); });
  const response = await request(port, 'GET', '/');
  assert.equal(response.status, 500);
  assert.equal(response.body, 'handler threw TypeError: missing\n');
});
