'use strict'

// The request body arrives as text; answer with callback(error, result): an object or array is
// sent as JSON, anything else as text.
module.exports = (context, callback) => {
  callback(undefined, { status: 'done', received: context })
}
