import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ProtocolError } from '../../lib/registry/index.js'
import { httpAllowed, keptPingUsable } from '../../lib/registry/ping.js'
import { client, registry } from './fixture-helpers.js'

t.test('httpAllowed: loopback and listed hosts only', async (t) => {
  t.ok(httpAllowed('127.0.0.1:5000', []))
  t.ok(httpAllowed('localhost:1', []))
  t.notOk(httpAllowed('reg.example:5000', []))
  t.ok(httpAllowed('reg.example:5000', ['reg.example:5000']))
})

t.test('loopback plain HTTP: http asked first (no TLS probe left on the port); scheme remembered', async (t) => {
  const reg = await registry(t)
  const lines: string[] = []
  const c = client(t, reg, { lines })
  const repo = c.repository({ registry: reg.host, repository: 'ping/a' })
  t.equal(await repo.manifests.resolve('x'), undefined)
  t.equal(await repo.manifests.resolve('y'), undefined)
  t.equal(lines.filter((l) => /^ping: /.test(l) && l.includes('→')).length, 1, 'pinged once')
  t.notOk(lines.some((l) => /failed to connect/.test(l)), 'no HTTPS attempt on a plain-HTTP loopback port')
  t.ok(lines.some((l) => l.includes(`→ http://${reg.host} (anonymous)`)))
})

t.test('TLS registry: https chosen, Basic challenge learned', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic' })
  const lines: string[] = []
  const c = client(t, reg, { lines })
  t.equal(await c.repository({ registry: reg.host, repository: 'ping/b' }).manifests.resolve('x'), undefined)
  t.ok(lines.some((l) => l.includes(`→ https://${reg.host} (basic)`)))
  t.notOk(lines.some((l) => /trying http/.test(l)))
})

t.test('a server that is not a v2 registry: clear ProtocolError; a 401 without challenge too', async (t) => {
  const server = createServer((req, res) => {
    if (req.headers.host?.startsWith('localhost')) return res.writeHead(401).end()
    res.writeHead(404).end('not here')
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  t.teardown(() => new Promise<void>((ok) => {
    server.closeAllConnections()
    server.close(() => ok())
  }))
  const port = (server.address() as AddressInfo).port
  const c = client(t, undefined)
  await t.rejects(c.repository({ registry: `127.0.0.1:${port}`, repository: 'a' }).manifests.get('x'),
    { code: 'ERR_REGISTRY_PROTOCOL', message: /not an OCI\/Docker v2 registry/ })
  const e = await c.repository({ registry: `localhost:${port}`, repository: 'a' }).manifests.get('x').catch((x: unknown) => x)
  t.ok(e instanceof ProtocolError)
  t.match((e as Error).message, /sent no Basic or Bearer challenge/)
})

t.test('a kept ping answer stands in only for its own host, over HTTP only where HTTP is allowed, never HTTPS on loopback', async (t) => {
  t.ok(keptPingUsable('https://reg.example', 'reg.example', []))
  t.ok(keptPingUsable('https://reg.example', 'reg.example:443', []), 'the default port is the same host')
  t.notOk(keptPingUsable('https://other.example', 'reg.example', []))
  t.notOk(keptPingUsable('http://reg.example', 'reg.example', []), 'plain HTTP no longer allowed')
  t.ok(keptPingUsable('http://reg.example:5000', 'reg.example:5000', ['reg.example']))
  t.ok(keptPingUsable('http://127.0.0.1:5000', '127.0.0.1:5000', []))
  t.notOk(keptPingUsable('https://127.0.0.1:5000', '127.0.0.1:5000', []), 'loopback: ping, HTTP first')
  t.notOk(keptPingUsable('not a url', 'reg.example', []))
})
