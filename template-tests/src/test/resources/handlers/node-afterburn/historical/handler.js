'use strict'

// What handlers written for the historical node-afterburn template do: (body, callback).
module.exports = (context, callback) => {
  if (context === 'fail') {
    return callback(new Error('asked to fail'))
  }
  if (context === 'text') {
    return callback(undefined, 'plain ' + context)
  }
  callback(undefined, { status: 'done', received: context })
}
