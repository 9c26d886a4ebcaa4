// The benchmark's trivial handler, shared by every way of running it.
'use strict';
module.exports = async () => ({ statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('ok\n') });
