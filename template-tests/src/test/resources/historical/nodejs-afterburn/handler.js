'use strict'

module.exports = (context, callback) => {
  callback(undefined, { received: context })
}
