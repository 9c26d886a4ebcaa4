'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');
const handler = require('./handler');

const context = { callId: 'test' };

function event(method, { query = {}, body = Buffer.alloc(0), headers = {} } = {}) {
  return { method, path: '/', query, rawQuery: '', headers, body };
}

test('greets by name', async () => {
  const result = await handler(event('GET', { query: { name: 'Ada' } }), context);
  assert.deepEqual(result.body, { message: 'Hello, Ada!' });
});

test('refuses an empty name', async () => {
  await assert.rejects(handler(event('GET', { query: { name: '' } }), context), /name must not be empty/);
});

test('echoes the body with its content type', async () => {
  const result = await handler(event('POST', { body: Buffer.from('hi'), headers: { 'content-type': 'text/plain' } }), context);
  assert.equal(result.body.toString(), 'hi');
  assert.equal(result.headers['Content-Type'], 'text/plain');
  assert.equal(result.headers['X-Body-Size'], '2');
});

test('answers 400 to an empty body', async () => {
  assert.equal((await handler(event('POST'), context)).statusCode, 400);
});
