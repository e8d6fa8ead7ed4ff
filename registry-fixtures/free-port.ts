import { createServer } from 'node:net'

/**
 * Returns a TCP port that was free on `host` a moment ago (bind :0, read, close). Another process
 * may grab it before the caller binds, so callers that hand it to a child retry on a clash.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, host, () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}
