// Entry program of the node-afterburn-event template; function authors edit function/, not this file.
//
// A hot process for fwatchdog's afterburn mode: reads one HTTP/1.1 request at a time from stdin,
// answers it with function/handler.js's `async (event, context)`, and writes one HTTP/1.1
// response to stdout. The watchdog runs up to `workers` of these processes; each serves one
// request at a time. Node's standard library only.
//
// stdout carries the protocol, so console.log and console.info go to stderr, which the watchdog
// logs. Requests and responses are framed in bytes (Buffers), a request without Content-Length
// has no body, and a handler that throws is answered 500 without costing the process. The
// handler contract is the node-http template's (README.md).
'use strict';

const REASONS = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found',
  304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 422: 'Unprocessable Content', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

const RESULT_KEYS = new Set(['statusCode', 'headers', 'body']);
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

class InvalidResult extends Error {}

// Turns the handler's result into [status, headers, body Buffer]; throws InvalidResult.
function encode(result) {
  if (result === null || typeof result !== 'object' || Array.isArray(result) || Buffer.isBuffer(result)) {
    throw new InvalidResult(`handler returned ${describe(result)}, expected an object with statusCode, headers and body`);
  }
  const unknown = Object.keys(result).filter((key) => !RESULT_KEYS.has(key));
  if (unknown.length > 0) {
    throw new InvalidResult(`handler returned unknown keys ${unknown.join(', ')} (expected: statusCode, headers, body)`);
  }
  const status = result.statusCode === undefined ? 200 : result.statusCode;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidResult(`statusCode ${JSON.stringify(status)} is not an integer from 200 to 599`);
  }
  const headers = {};
  for (const [name, value] of Object.entries(result.headers || {})) {
    if (!FRAMING.has(name.toLowerCase())) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
    }
  }
  const body = result.body;
  let data;
  let type;
  if (body === undefined || body === null) {
    data = Buffer.alloc(0);
  } else if (body instanceof Uint8Array) {
    data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    type = 'application/octet-stream';
  } else if (typeof body === 'string') {
    data = Buffer.from(body, 'utf8');
    type = 'text/plain; charset=utf-8';
  } else {
    const json = JSON.stringify(body);
    if (json === undefined) {
      throw new InvalidResult(`body ${describe(body)} cannot be sent as JSON`);
    }
    data = Buffer.from(json, 'utf8');
    type = 'application/json';
  }
  if (type && headers['content-type'] === undefined) {
    headers['content-type'] = type;
  }
  headers['content-length'] = String(data.length);
  return [status, headers, data];
}

function describe(value) {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

// Takes the next whole request off the front of `pending` ({ request, rest }), or null until
// one has arrived.
function take(pending) {
  let start = 0;
  while (start < pending.length && (pending[start] === 0x0d || pending[start] === 0x0a)) start++;
  let end = pending.indexOf('\r\n\r\n', start);
  let gap = 4;
  if (end < 0) {
    end = pending.indexOf('\n\n', start);
    gap = 2;
  }
  if (end < 0) return null;
  const lines = pending.subarray(start, end).toString('latin1').split(/\r?\n/);
  const [method, target] = lines[0].split(' ');
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const length = Number.parseInt(headers['content-length'] || '0', 10) || 0;
  const bodyStart = end + gap;
  if (pending.length < bodyStart + length) return null;
  const body = Buffer.from(pending.subarray(bodyStart, bodyStart + length));
  return { request: { method, target, headers, body }, rest: pending.subarray(bodyStart + length) };
}

function event({ method, target, headers, body }) {
  const url = new URL(target, 'http://function');
  const rawQuery = url.search.slice(1);
  return {
    method,
    path: decodeURIComponent(url.pathname),
    // A repeated name keeps its last value; rawQuery has them all.
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    rawQuery,
    headers,
    body,
  };
}

function response(status, headers, data, method) {
  let head = `HTTP/1.1 ${status} ${REASONS[status] || ''}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    for (const item of Array.isArray(value) ? value : [value]) head += `${name}: ${item}\r\n`;
  }
  const bytes = Buffer.from(`${head}\r\n`, 'latin1');
  // A response to HEAD states the length of the body it leaves out.
  return method === 'HEAD' ? bytes : Buffer.concat([bytes, data]);
}

function plain(status, message) {
  const data = Buffer.from(`${message}\n`, 'utf8');
  return [status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(data.length) }, data];
}

// The response to one request, as a Buffer.
async function answer(handler, request) {
  let input;
  try {
    input = event(request);
  } catch (error) {
    return response(...plain(400, `malformed path: ${error.message}`), request.method);
  }
  let result;
  try {
    result = encode(await handler(input, { callId: request.headers['x-call-id'] }));
  } catch (error) {
    if (!(error instanceof InvalidResult)) {
      console.error(error);
    }
    result = plain(500, error instanceof InvalidResult
      ? error.message
      : `handler threw ${error && error.name ? error.name : typeof error}: ${error && error.message !== undefined ? error.message : error}`);
  }
  return response(...result, request.method);
}

// Serves the requests arriving on `input` one at a time, writing each response to `output`.
function run(handler, input, output) {
  let pending = Buffer.alloc(0);
  let busy = false;
  let ended = false;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  async function drain() {
    if (busy) return; // the loop below picks up what arrived
    busy = true;
    let next;
    while ((next = take(pending)) !== null) {
      pending = next.rest;
      const bytes = await answer(handler, next.request);
      if (!output.write(bytes)) await new Promise((resolve) => output.once('drain', resolve));
    }
    busy = false;
    if (ended) finish();
  }
  input.on('data', (data) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    drain();
  });
  // Done once stdin has ended and every request that came before the end is answered.
  input.on('end', () => {
    ended = true;
    if (!busy) finish();
  });
  return finished;
}

module.exports = { run, encode, InvalidResult };

if (require.main === module) {
  console.log = console.error; // the handler's logging must not corrupt the responses
  console.info = console.error;
  run(require('./function/handler'), process.stdin, process.stdout).then(() => process.exit(0));
}
