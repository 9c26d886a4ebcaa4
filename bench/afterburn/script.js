// The handler as a per-request script, for serializing mode: the body on stdin, the answer on stdout.
'use strict';
require('./handler.js')().then((result) => process.stdout.write(result.body));
