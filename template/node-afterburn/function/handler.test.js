'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');
const handler = require('./handler');

test('calls back with what it received', async () => {
  const result = await new Promise((resolve, reject) => handler('hi', (error, value) => (error ? reject(error) : resolve(value))));
  assert.deepEqual(result, { status: 'done', received: 'hi' });
});
