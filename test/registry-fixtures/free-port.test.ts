import t from 'tap'
import { createServer } from 'node:net'
import { freePort } from '../../registry-fixtures/index.js'

t.test('returns a port that can be bound on the requested loopback address', async (t) => {
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    const port = await freePort(host)
    t.ok(port > 0 && port < 65536)
    const srv = createServer()
    await new Promise<void>((ok, fail) => srv.once('error', fail).listen(port, host, () => ok()))
    await new Promise((ok) => srv.close(ok))
  }
})
