'use strict'

// The documented examples of the official Node.js templates, each as the handler it documents,
// chosen by the first path segment; and the forms users rely on besides.
const greeting = require('./greeting')

const examples = {
  'you-said': (event, context) => {
    context.succeed({ status: 'You said: ' + JSON.stringify(event.body) })
  },
  'not-found': (event, context) => {
    context.status(404).succeed({ message: 'The record requested was not found.' })
  },
  'fail': (event, context) => {
    context.fail('Unable to process this event.')
  },
  'fail-with-status': (event, context) => {
    context.status(503).fail(new Error('try later'))
  },
  'callback': (event, context, callback) => {
    callback(undefined, { result: 'message received' })
  },
  'redirect': (event, context) => {
    context.headers({ Location: 'https://www.example.com/' }).status(307).succeed('Page has moved.')
  },
  'returned-object': async (event) => ({ method: event.method, path: event.path, query: event.query }),
  'returned-string': async () => 'plain words',
  'headers': async (event, context) =>
    context.headers({ 'Content-Type': 'text/csv', 'X-Thing': event.headers['x-thing'] }).succeed('a,b\n'),
  'json-body': async (event) => ({ name: event.body.name, doubled: event.body.n * 2 }),
  'text-body': async (event) => ({ type: typeof event.body, body: event.body }),
  'raw-body': async (event, context) => context
    .headers({ 'Content-Type': 'application/octet-stream' })
    .succeed(Buffer.isBuffer(event.body) ? event.body : Buffer.from('not a Buffer')),
  'throws': async () => { throw new Error('the handler failed') },
  'greeting': async (event) => greeting(event.query.name),
  'nothing': async () => undefined,
}

module.exports = async (event, context, callback) => examples[event.path.split('/')[1]](event, context, callback)
