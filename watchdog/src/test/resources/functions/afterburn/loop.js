#!/usr/bin/env node
// A reference afterburn loop: Node.js standard library only, no dependencies.
//
//     node loop.js handler.js
//
// The watchdog writes one HTTP/1.1 request at a time to stdin and reads one HTTP/1.1 response
// from stdout. This loop frames both in bytes (Buffers, never strings), takes a request without
// Content-Length as one without a body, keeps stdout for responses only (console.log goes to
// stderr, which is the log), and answers 500 when the handler throws or rejects, so one bad call
// never costs the process.
//
// The handler module exports an async function (event, context) and resolves to
// { statusCode = 200, headers = {}, body }: body a Buffer, a string, or anything else, sent as JSON.
'use strict';
const path = require('path');

const handle = require(path.resolve(process.argv[2]));
const out = process.stdout;
console.log = console.error; // handlers' logging must not corrupt the response stream
console.info = console.error;

const REASONS = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' };

let pending = Buffer.alloc(0);
let busy = false;

function parseHead(head) {
  const lines = head.toString('latin1').split(/\r?\n/);
  const [method, target] = lines[0].split(' ');
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? headers[name] + ', ' + value : value;
  }
  const url = new URL(target, 'http://function');
  const query = {};
  for (const [k, v] of url.searchParams) (query[k] = query[k] || []).push(v);
  return { method, path: decodeURIComponent(url.pathname), query, headers, rawUrl: target };
}

function encode(result, head = false) {
  let status = 200, headers = {}, body = result;
  if (result && typeof result === 'object' && !Buffer.isBuffer(result)
      && ('statusCode' in result || 'body' in result || 'headers' in result)) {
    status = result.statusCode || 200;
    headers = { ...(result.headers || {}) };
    body = result.body;
  }
  if (body === undefined || body === null) body = Buffer.alloc(0);
  else if (typeof body === 'string') {
    body = Buffer.from(body, 'utf8');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'text/plain; charset=utf-8';
  } else if (!Buffer.isBuffer(body)) {
    body = Buffer.from(JSON.stringify(body), 'utf8');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  }
  let text = `HTTP/1.1 ${status} ${REASONS[status] || ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (['content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase())) continue;
    for (const item of Array.isArray(value) ? value : [value]) text += `${name}: ${item}\r\n`;
  }
  text += `Content-Length: ${body.length}\r\n\r\n`;
  // A response to HEAD states the length of the body it leaves out.
  return head ? Buffer.from(text, 'latin1') : Buffer.concat([Buffer.from(text, 'latin1'), body]);
}

// Takes one whole request off the front of the buffer, or returns null until one has arrived.
function takeRequest() {
  while (pending.length && (pending[0] === 0x0d || pending[0] === 0x0a)) pending = pending.subarray(1);
  let end = pending.indexOf('\r\n\r\n');
  let sep = 4;
  if (end < 0) { end = pending.indexOf('\n\n'); sep = 2; }
  if (end < 0) return null;
  const event = parseHead(pending.subarray(0, end));
  const length = parseInt(event.headers['content-length'] || '0', 10) || 0;
  if (pending.length < end + sep + length) return null;
  event.body = Buffer.from(pending.subarray(end + sep, end + sep + length));
  pending = pending.subarray(end + sep + length);
  return event;
}

async function serve() {
  if (busy) return;
  busy = true;
  let event;
  while ((event = takeRequest()) !== null) {
    let response;
    try {
      response = encode(await handle(event, { callId: event.headers['x-call-id'] || '', pid: process.pid }), event.method === 'HEAD');
    } catch (error) {
      console.error(error && error.stack ? error.stack : String(error));
      response = encode({ statusCode: 500, body: `handler failed: ${error && error.message ? error.message : error}\n` });
    }
    if (!out.write(response)) await new Promise((resolve) => out.once('drain', resolve));
  }
  busy = false;
}

process.stdin.on('data', (data) => { pending = pending.length ? Buffer.concat([pending, data]) : data; serve(); });
process.stdin.on('end', () => process.exit(0));
