// An Fn function on the Node FDK (@fnproject/fdk), unchanged Fn code: what it does is chosen by
// the request's path, so one function serves every test.
const fdk = require('@fnproject/fdk')

fdk.handle(async (body, ctx) => {
  const gw = ctx.httpGateway
  const url = new URL(gw.requestURL)
  switch (url.pathname) {
    case '/echo':
      gw.statusCode = Number(url.searchParams.get('status') || 200)
      gw.setResponseHeader('Content-Type', ctx.contentType || 'application/octet-stream')
      gw.setResponseHeader('X-Method', gw.method)
      gw.addResponseHeader('X-Twice', 'one')
      gw.addResponseHeader('X-Twice', 'two')
      return fdk.rawResult(body)
    case '/request':
      return {
        method: gw.method,
        url: gw.requestURL,
        headers: gw.headers,
        callId: ctx.callID,
        deadline: ctx.deadline.toISOString(),
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FN_')))
      }
    case '/smuggle':
      gw.setResponseHeader('Content-Length', '1')
      gw.setResponseHeader('Transfer-Encoding', 'chunked')
      gw.setResponseHeader('Connection', 'close')
      gw.setResponseHeader('X-Call-Id', 'forged')
      gw.setResponseHeader('X-Kept', 'yes')
      return fdk.rawResult('whole body')
    case '/empty':
      gw.statusCode = 204
      return fdk.rawResult('dropped')
    case '/throw':
      throw new Error('the function broke')
    case '/hang':
      return new Promise(() => {})
    case '/crash':
      process.exit(3)
      break
    default:
      gw.statusCode = 404
      return fdk.rawResult('no such test: ' + url.pathname)
  }
}, { inputMode: 'buffer' })
