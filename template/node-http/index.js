// Entry program of the node-http template; function authors edit function/, not this file.
//
// Serves function/handler.js's `async (event, context)` over HTTP with Node's own http module,
// for fwatchdog's http mode. It listens where the watchdog's upstream_url points, so the port is
// set in one place (the Dockerfile's ENV). See README.md for the handler contract.
'use strict';

const http = require('node:http');

const RESULT_KEYS = new Set(['statusCode', 'headers', 'body']);
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

class InvalidResult extends Error {}

function event(request, body) {
  const url = new URL(request.url, 'http://function');
  const rawQuery = url.search.slice(1);
  return {
    method: request.method,
    path: decodeURIComponent(url.pathname),
    // A repeated name keeps its last value; rawQuery has them all.
    query: Object.fromEntries(new URLSearchParams(rawQuery)),
    rawQuery,
    headers: request.headers,
    body,
  };
}

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

async function serve(handler, request, response) {
  const chunks = [];
  for await (const chunk of request) {
    chunks.push(chunk);
  }
  let status;
  let headers;
  let data;
  let input;
  try {
    input = event(request, Buffer.concat(chunks));
  } catch (error) {
    // Only decodeURIComponent throws here: the path's percent-encoding is malformed.
    data = Buffer.from(`malformed path: ${error.message}\n`, 'utf8');
    response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(data.length) });
    response.end(data);
    return;
  }
  try {
    const context = { callId: request.headers['x-call-id'] };
    [status, headers, data] = encode(await handler(input, context));
  } catch (error) {
    // The handler's own failure (or an invalid result): answer 500 and log the stack.
    const message = error instanceof InvalidResult
      ? error.message
      : `handler threw ${error && error.name ? error.name : typeof error}: ${error && error.message !== undefined ? error.message : error}`;
    if (!(error instanceof InvalidResult)) {
      console.error(error);
    }
    status = 500;
    data = Buffer.from(`${message}\n`, 'utf8');
    headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(data.length) };
  }
  response.writeHead(status, headers);
  response.end(request.method === 'HEAD' ? undefined : data);
}

// A server (not yet listening) that answers every request with handler(event, context).
function createServer(handler) {
  const server = http.createServer((request, response) => {
    serve(handler, request, response).catch((error) => {
      console.error(error);
      response.destroy();
    });
  });
  server.keepAliveTimeout = 65000;
  return server;
}

module.exports = { createServer, encode, InvalidResult };

if (require.main === module) {
  const upstream = new URL(process.env.upstream_url || 'http://127.0.0.1:3000');
  createServer(require('./function/handler')).listen(Number(upstream.port) || 80, upstream.hostname);
}
