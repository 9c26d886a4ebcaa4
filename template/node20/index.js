// Entry program of the node20 template; function authors edit function/, not this file.
//
// Serves function/handler.js with Express and the handler contract of OpenFaaS's node20 template
// (README.md): `async (event, context)` with context.status().headers().succeed() / .fail(), or a
// returned value. It listens where the watchdog's upstream_url points (the Dockerfile's ENV).
'use strict';

const express = require('express');
const bodyParser = require('body-parser');
const handler = require('./function/handler');

const DEFAULT_LIMIT = '100kb'; // body-parser's own default

function createApp(handle) {
  const app = express();
  app.disable('x-powered-by');

  // A request without a Content-Type is read as text, so that event.body is not left empty.
  app.use((req, res, next) => {
    if (!req.headers['content-type']) {
      req.headers['content-type'] = 'text/plain';
    }
    next();
  });
  if (process.env.RAW_BODY === 'true') {
    app.use(bodyParser.raw({ type: '*/*', limit: process.env.MAX_RAW_SIZE || DEFAULT_LIMIT }));
  } else {
    app.use(bodyParser.text({ type: 'text/*' }));
    app.use(bodyParser.json({ limit: process.env.MAX_JSON_SIZE || DEFAULT_LIMIT }));
    app.use(bodyParser.urlencoded({ extended: true }));
  }
  app.use((req, res) => invoke(handle, req, res));
  return app;
}

class FunctionEvent {
  constructor(req) {
    this.body = req.body;
    this.headers = req.headers;
    this.method = req.method;
    this.query = req.query;
    this.path = req.path;
  }
}

class FunctionContext {
  constructor(done) {
    this.statusCode = 200;
    this.headerValues = {};
    this.done = done;
    this.finished = false;
  }

  // status(code) sets the status and returns the context; status() returns it.
  status(code) {
    if (!code) {
      return this.statusCode;
    }
    this.statusCode = code;
    return this;
  }

  // headers(object) sets the response headers and returns the context; headers() returns them.
  headers(values) {
    if (!values) {
      return this.headerValues;
    }
    this.headerValues = values;
    return this;
  }

  succeed(value) {
    this.done(undefined, value);
  }

  // fail(error) answers the error's text, with 500 unless a status other than 200 was set.
  fail(error) {
    this.done(error === undefined ? new Error('fail() was called') : error);
  }
}

const isPlainObjectOrArray = (value) => Array.isArray(value) || (value !== null && value !== undefined
    && value.constructor === Object);

function invoke(handle, req, res) {
  const context = new FunctionContext((error, result) => {
    if (context.finished) {
      return; // a second succeed(), fail() or return changes nothing once the answer has left
    }
    context.finished = true;
    if (error !== undefined) {
      console.error(error);
      if (context.status() == 200) {
        context.status(500);
      }
      res.status(context.status()).send(error && error.toString ? error.toString() : String(error));
      return;
    }
    res.set(context.headers()).status(context.status());
    if (isPlainObjectOrArray(result)) {
      if (!res.get('Content-Type')) {
        res.type('application/json');
      }
      res.send(JSON.stringify(result));
    } else if (typeof result === 'number') {
      res.send(String(result));
    } else {
      res.send(result);
    }
  });
  const event = new FunctionEvent(req);
  Promise.resolve()
    .then(() => handle(event, context, (error, result) => context.done(error || undefined, result)))
    .then((result) => {
      if (!context.finished) {
        context.succeed(result);
      }
    })
    .catch((error) => context.done(error === undefined ? new Error('the handler rejected') : error));
}

function listenAddress() {
  const url = new URL(process.env.upstream_url || 'http://127.0.0.1:3000');
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 80) };
}

if (require.main === module) {
  const { host, port } = listenAddress();
  // The watchdog opens a connection per concurrent request: a backlog as deep as the kernel allows.
  createApp(handler).listen(port, host, 4096, () => console.log(`node20 listening on ${host}:${port}`));
}

module.exports = { createApp };
