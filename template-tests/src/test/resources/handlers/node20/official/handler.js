'use strict'

// The behaviour of the official node20 starter: the body, re-encoded as JSON text, and its type.
module.exports = async (event, context) => {
  return context
    .status(200)
    .succeed({ body: JSON.stringify(event.body), 'content-type': event.headers['content-type'] })
}
