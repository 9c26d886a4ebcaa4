'use strict'

// A module beside the handler, required relatively.
module.exports = (name) => ({ message: `Hello, ${name}!` })
