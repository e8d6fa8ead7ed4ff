import t from 'tap'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { carriesBlobBytes, checkCaPem, createDispatchers, isListedHost, isLoopbackHost, readCapped, sendWire, stripPort } from '../../lib/registry/http.js'
import { ProtocolError } from '../../lib/registry/errors.js'
import { tlsMaterial } from '../../registry-fixtures/index.js'
import { readFileSync } from 'node:fs'

t.test('host classification', async (t) => {
  for (const h of ['localhost', 'localhost:5000', 'reg.localhost:1', '127.0.0.1', '127.9.8.7:80', '[::1]:5000', '::1']) t.ok(isLoopbackHost(h), h)
  for (const h of ['10.0.0.1:5000', 'example.com', 'localhost.example.com', '128.0.0.1', '[::2]:1']) t.notOk(isLoopbackHost(h), h)
  t.equal(stripPort('h:5000'), 'h')
  t.equal(stripPort('[::1]:5000'), '::1')
  t.equal(stripPort('h'), 'h')
  t.ok(isListedHost('reg.example:5000', ['reg.example']))
  t.ok(isListedHost('reg.example:5000', ['http://reg.example:5000/']))
  t.notOk(isListedHost('reg.example:5001', ['reg.example:5000']))
  t.notOk(isListedHost('other.example', ['reg.example']))
})

t.test('dispatchers: insecure hosts get their own agent; a caller dispatcher is used as is', async (t) => {
  const d = createDispatchers({ insecureRegistries: ['insecure.example'] })
  t.not(d.forHost('insecure.example:443'), d.forHost('secure.example'))
  t.equal(d.forHost('a.example'), d.forHost('b.example'))
  await d.close()
  const mine = new Agent()
  const d2 = createDispatchers({ dispatcher: mine })
  t.equal(d2.forHost('x'), mine)
  await d2.close()
  await mine.close()
  t.throws(() => createDispatchers({ caCertFiles: ['/nonexistent'] }), { code: 'ERR_REGISTRY_CA_FILE' })
})

async function listen(host: string, handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; origin: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    handler!(req, res)
  })
  await new Promise<void>((ok) => server.listen(0, host, ok))
  t.teardown(() => new Promise<void>((ok) => {
    server.closeAllConnections()
    server.close(() => ok())
  }))
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}`, seen }
}

t.test('redirects: Authorization and cookies only to the registry origin', async (t) => {
  const other = await listen('127.0.0.2', (_req, res) => res.end('payload'))
  const reg = await listen('127.0.0.1', (req, res) => {
    if (req.url === '/same') return res.writeHead(307, { location: '/final' }).end()
    if (req.url === '/final') return res.end('same-origin')
    if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end()
    res.writeHead(307, { location: `${other.origin}/data?sig=abc` }).end()
  })
  const d = createDispatchers({})
  t.teardown(() => d.close())
  const base = { method: 'GET', headers: { cookie: 'c=1', 'user-agent': 'ua' }, authorization: 'Bearer SECRET', authOrigin: reg.origin, followRedirects: true }
  const r1 = await sendWire({ ...base, url: `${reg.origin}/blob` }, d.forHost)
  t.equal(await r1.body.text(), 'payload')
  t.equal(r1.url, `${other.origin}/data?sig=abc`)
  t.ok(r1.crossOrigin)
  t.equal(reg.seen[0]!.authorization, 'Bearer SECRET')
  t.equal(other.seen[0]!.authorization, undefined)
  t.equal(other.seen[0]!.cookie, undefined)
  t.equal(other.seen[0]!['user-agent'], 'ua')

  let n = 0
  const r2 = await sendWire({ ...base, url: `${reg.origin}/same` }, d.forHost, () => n++)
  t.equal(await r2.body.text(), 'same-origin')
  t.equal(reg.seen.at(-1)!.authorization, 'Bearer SECRET', 'same-origin redirect keeps credentials')
  t.equal(n, 2)
  t.notOk(r2.crossOrigin)

  await t.rejects(sendWire({ ...base, url: `${reg.origin}/loop` }, d.forHost), ProtocolError)
  const r3 = await sendWire({ ...base, url: `${reg.origin}/same`, followRedirects: false }, d.forHost)
  t.equal(r3.status, 307)
  await r3.body.dump()
})

t.test('carriesBlobBytes: blob GETs and large or streamed bodies; manifests, HEADs, mounts and small bodies do not', async (t) => {
  const { Readable } = await import('node:stream')
  t.ok(carriesBlobBytes({ method: 'GET', path: '/v2/a/b/blobs/sha256:abc' }))
  t.ok(carriesBlobBytes({ method: 'PATCH', path: '/v2/a/blobs/uploads/u?_state=x', body: Readable.from([Buffer.from('x')]) }))
  t.ok(carriesBlobBytes({ method: 'PUT', path: '/v2/a/blobs/uploads/u', body: new Uint8Array((1 << 20) + 1) }))
  t.notOk(carriesBlobBytes({ method: 'HEAD', path: '/v2/a/blobs/sha256:abc' }))
  t.notOk(carriesBlobBytes({ method: 'GET', path: '/v2/a/blobs/uploads/u?_state=x' }), 'upload status')
  t.notOk(carriesBlobBytes({ method: 'GET', path: '/v2/a/manifests/1' }))
  t.notOk(carriesBlobBytes({ method: 'POST', path: '/v2/a/blobs/uploads/?mount=sha256%3Aabc&from=b' }))
  t.notOk(carriesBlobBytes({ method: 'PUT', path: '/v2/a/manifests/1', body: new Uint8Array(1000) }))
  t.notOk(carriesBlobBytes({ method: 'PUT', path: '/v2/a/manifests/1', body: '{}' }))
})

t.test('a light dispatcher takes the requests that move no blob bytes; the agents only the others', async (t) => {
  const s = await listen('127.0.0.1', (req, res) => res.end(req.url))
  const real = new Agent()
  t.teardown(() => real.close())
  const seen: string[] = []
  const light = { dispatch: (o: { path: string }, h: unknown) => (seen.push(o.path), real.dispatch(o as never, h as never)) }
  const d = createDispatchers({ light: light as unknown as Agent })
  t.teardown(() => d.close())
  for (const path of ['/v2/a/manifests/1', '/v2/a/blobs/sha256:abc']) {
    const r = await sendWire({ method: 'GET', url: `${s.origin}${path}`, headers: {} }, d.forHost)
    t.equal(await r.body.text(), path)
  }
  t.same(seen, ['/v2/a/manifests/1'])
  t.equal(s.seen.length, 2, 'the blob GET went out on an agent')
  const tls = await tlsMaterial()
  const withCa = createDispatchers({ light: light as unknown as Agent, caCertFiles: [tls.caFile] })
  t.not(withCa.forHost('x.example'), light, 'a CA file keeps the agents, which know it')
  t.equal(withCa.forHost('x.example'), withCa.forHost('y.example'))
  await withCa.close()
})

t.test('readCapped reads at most the limit', async (t) => {
  const s = await listen('127.0.0.1', (_req, res) => res.end('x'.repeat(100_000)))
  const d = createDispatchers({})
  t.teardown(() => d.close())
  const r = await sendWire({ method: 'GET', url: s.origin, headers: {} }, d.forHost)
  t.equal((await readCapped(r.body, 1000)).length, 1000)
})

t.test('a CA file without a PEM certificate (--ca-cert /etc/passwd) is refused, not silently ignored', async (t) => {
  t.throws(() => createDispatchers({ caCertFiles: ['/etc/passwd'] }), { code: 'ERR_TLS_CA_INVALID', message: /--ca-cert \/etc\/passwd: no PEM certificate/ })
  t.throws(() => checkCaPem('x.pem', '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n'), { code: 'ERR_TLS_CA_INVALID', message: /cannot be parsed/ })
  const tls = await tlsMaterial()
  const pem = readFileSync(tls.caFile, 'utf8')
  t.match(checkCaPem(tls.caFile, `comment line\n${pem}`), /^-----BEGIN CERTIFICATE-----/)
  const d = createDispatchers({ caCertFiles: [tls.caFile] })
  await d.close()
})
