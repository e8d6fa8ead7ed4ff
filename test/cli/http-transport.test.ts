import t from 'tap'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import request from 'undici/lib/api/api-request.js'
import type { Dispatcher } from 'undici'
import { NodeHttpDispatcher, type NodeHttpOptions } from '../../lib/cli/http-transport.js'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { UnreachableError } from '../../lib/registry/index.js'
import { blob, client, manifestBytes, proxy, readAll, registry } from '../registry/fixture-helpers.js'

type T = { teardown(fn: () => unknown): void }

function dispatcher(t: T, opts: NodeHttpOptions = {}): NodeHttpDispatcher {
  const d = new NodeHttpDispatcher(opts)
  t.teardown(() => d.close())
  return d
}

const asDispatcher = (d: NodeHttpDispatcher): Dispatcher => d as unknown as Dispatcher

/** A loopback server answering with `handle`; its open sockets are destroyed at teardown. */
async function server(t: T, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; server: Server; seen: string[] }> {
  const seen: string[] = []
  const s = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    handle(req, res)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  }))
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s, seen }
}

const fails = async (p: Promise<unknown>): Promise<Error & { code?: string }> => p.then(() => { throw new Error('expected a failure') }, (e: Error) => e)

t.test('a registry client over it: bytes and streams up, manifests and blobs down, digests kept', async (t) => {
  const reg = await registry(t)
  const c = client(t, reg, { dispatcher: asDispatcher(dispatcher(t)) })
  const repo = c.repository({ registry: reg.host, repository: 'node/http' })
  const small = blob(3_000)
  const big = blob(8 << 20)
  await repo.blobs.put(small.bytes)
  // A stream of 64 KiB chunks: the request is written with backpressure, its length checked.
  await repo.blobs.put(() => Readable.from((function* () {
    for (let i = 0; i < big.size; i += 65536) yield big.bytes.subarray(i, i + 65536)
  })()), { digest: big.digest, size: big.size })
  const cfg = Buffer.from('{}')
  await repo.blobs.put(cfg)
  const m = manifestBytes({ digest: sha256(cfg), size: 2 }, [small, big].map(({ digest, size }) => ({ digest, size })))
  await repo.manifests.put('v1', m, MediaTypes.OCI_MANIFEST)
  t.same(Buffer.from((await repo.manifests.get('v1')).bytes), m)
  t.same(await readAll(await repo.blobs.open(big)), big.bytes, 'an 8 MiB blob read back whole')
  t.match(await repo.blobs.stat(small.digest), { size: small.size })
  t.equal(await repo.blobs.stat(sha256(Buffer.from('absent'))), undefined, 'HEAD of a missing blob')
  const tags: string[] = []
  for await (const tag of repo.tags()) tags.push(tag)
  t.same(tags, ['v1'])
})

t.test('a response cut mid-body is a socket error the blob reader resumes from', async (t) => {
  const reg = await registry(t)
  const b = blob(300_000)
  await client(t, reg).repository({ registry: reg.host, repository: 'node/reset' }).blobs.put(b.bytes)
  const p = await proxy(t, reg.url, [{ match: { method: 'GET', path: /\/blobs\/sha256:/, nth: 1 }, action: { resetAfterBytes: 100_000, direction: 'response' } }])
  const c = client(t, reg, { host: p.host, dispatcher: asDispatcher(dispatcher(t)) })
  const got = await readAll(await c.repository({ registry: p.host, repository: 'node/reset' }).blobs.open(b))
  t.same(got, b.bytes)
  t.ok(p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length >= 2, 'asked again for the rest')
})

t.test('HTTPS: an insecure-listed host skips verification; otherwise the TLS error says --ca-cert', async (t) => {
  const reg = await registry(t, { variant: 'tls-basic' })
  const insecure = client(t, reg, { dispatcher: asDispatcher(dispatcher(t, { insecure: (h) => h === reg.host })) })
  const repo = insecure.repository({ registry: reg.host, repository: 'node/tls' })
  await repo.blobs.put(Buffer.from('over tls'))
  t.match(await repo.blobs.stat(sha256(Buffer.from('over tls'))), { size: 8 })
  const strict = client(t, reg, { dispatcher: asDispatcher(dispatcher(t)), retry: { maxAttempts: 1 } })
  const err = await fails(strict.repository({ registry: reg.host, repository: 'node/tls' }).manifests.get('v1'))
  t.type(err, UnreachableError)
  t.match(err.message, /--ca-cert/)
})

t.test('no response headers in time: UND_ERR_HEADERS_TIMEOUT (retried by lib/registry as a network fault)', async (t) => {
  const s = await server(t, () => { /* never answers */ })
  const d = dispatcher(t, { headersTimeoutMs: 150 })
  const err = await fails(request.call(asDispatcher(d), { origin: s.origin, path: '/v2/', method: 'GET' }))
  t.equal(err.code, 'UND_ERR_HEADERS_TIMEOUT')
})

t.test('a body that stops coming: UND_ERR_BODY_TIMEOUT', async (t) => {
  const s = await server(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('only part')
  })
  const d = dispatcher(t, { bodyTimeoutMs: 150 })
  const res = await request.call(asDispatcher(d), { origin: s.origin, path: '/blob', method: 'GET' })
  const err = await fails(readAll(res.body as unknown as Readable))
  t.equal(err.code, 'UND_ERR_BODY_TIMEOUT')
})

t.test('a stream body longer or shorter than its Content-Length fails with undici\'s code', async (t) => {
  const s = await server(t, (req, res) => {
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  const d = dispatcher(t)
  for (const [declared, sent] of [[5, 10], [10, 5]] as const) {
    const err = await fails(request.call(asDispatcher(d), {
      origin: s.origin, path: '/upload', method: 'PUT', headers: { 'content-length': String(declared) },
      body: Readable.from([Buffer.alloc(sent)]),
    }))
    t.equal(err.code, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', `declared ${declared}, sent ${sent}`)
  }
  const ok = await request.call(asDispatcher(d), {
    origin: s.origin, path: '/upload', method: 'PUT', headers: { 'content-length': '4' }, body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]),
  })
  t.equal(await ok.body.text(), 'ok')
})

t.test('its signal aborts the requests in flight with the signal\'s reason, and the ones after', async (t) => {
  const s = await server(t, () => { /* never answers */ })
  const ac = new AbortController()
  const d = dispatcher(t, { signal: ac.signal })
  const pending = fails(request.call(asDispatcher(d), { origin: s.origin, path: '/v2/', method: 'GET' }))
  while (s.seen.length === 0) await new Promise((r) => setTimeout(r, 5))
  const reason = Object.assign(new Error('interrupted (SIGINT)'), { code: 'ERR_ABORTED' })
  const started = Date.now()
  ac.abort(reason)
  t.equal(await pending, reason)
  t.ok(Date.now() - started < 1000, 'at once')
  t.equal(await fails(request.call(asDispatcher(d), { origin: s.origin, path: '/v2/', method: 'GET' })), reason)
})

t.test('a request\'s own signal, a body dropped half read, and a closed dispatcher', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(4 << 20) })
      res.end(Buffer.alloc(4 << 20))
    } else {
      res.end('small')
    }
  })
  const d = dispatcher(t)
  const ac = new AbortController()
  ac.abort(new Error('mine'))
  t.match(await fails(request.call(asDispatcher(d), { origin: s.origin, path: '/x', method: 'GET', signal: ac.signal })), { message: 'mine' })
  const big = await request.call(asDispatcher(d), { origin: s.origin, path: '/big', method: 'GET' })
  await big.body.dump() // more than dump's limit: the connection is dropped, not drained
  const small = await request.call(asDispatcher(d), { origin: s.origin, path: '/small', method: 'GET' })
  t.equal(await small.body.text(), 'small', 'the next request still goes out')
  await d.close()
  t.equal((await fails(request.call(asDispatcher(d), { origin: s.origin, path: '/small', method: 'GET' }))).code, 'UND_ERR_CLOSED')
})

t.test('whileWaiting runs once, when every request in flight is sent and none is answered', async (t) => {
  let release!: () => void
  const held = new Promise<void>((r) => { release = r })
  const s = await server(t, (req, res) => {
    req.resume()
    req.on('end', () => void held.then(() => res.end('ok')))
  })
  const events: string[] = []
  let runs = 0
  const d = dispatcher(t, {
    whileWaiting: () => {
      runs++
      events.push('hook')
      throw new Error('a failing warm-up fails nothing')
    },
  })
  // A body that takes 100 ms to send: the hook waits for its last byte, not only for the GET's.
  const body = new Readable({ read() {} })
  body.push(Buffer.alloc(10))
  setTimeout(() => {
    events.push('body sent')
    body.push(null)
  }, 100)
  const put = request.call(asDispatcher(d), { origin: s.origin, path: '/put', method: 'PUT', body, headers: { 'content-length': '10' } })
  const get = request.call(asDispatcher(d), { origin: s.origin, path: '/get', method: 'GET' })
  while (runs === 0) await new Promise((r) => setTimeout(r, 5))
  events.push('answers')
  release()
  for (const r of await Promise.all([put, get])) t.equal(await r.body.text(), 'ok')
  t.same(events, ['body sent', 'hook', 'answers'])
  t.equal(await (await request.call(asDispatcher(d), { origin: s.origin, path: '/again', method: 'GET' })).body.text(), 'ok')
  t.equal(runs, 1, 'once only')
})

t.test('leaveIdleAtClose: idle connections stay for the exit; requests in flight and later ones fail as closed', async (t) => {
  const open = new Set<unknown>()
  const s = await server(t, (req, res) => {
    if (req.url !== '/hang') res.end('ok')
  })
  s.server.on('connection', (sock) => {
    open.add(sock)
    sock.on('close', () => open.delete(sock))
  })
  const d = dispatcher(t, { leaveIdleAtClose: true })
  // The hanging request holds the first connection; the answered one leaves a second idle.
  const hanging = fails(request.call(asDispatcher(d), { origin: s.origin, path: '/hang', method: 'GET' }))
  while (s.seen.length < 1) await new Promise((r) => setTimeout(r, 5))
  t.equal(await (await request.call(asDispatcher(d), { origin: s.origin, path: '/a', method: 'GET' })).body.text(), 'ok')
  t.equal(open.size, 2)
  await d.close()
  t.equal((await hanging).code, 'UND_ERR_CLOSED')
  t.equal((await fails(request.call(asDispatcher(d), { origin: s.origin, path: '/b', method: 'GET' }))).code, 'UND_ERR_CLOSED')
  await new Promise((r) => setTimeout(r, 50))
  t.equal(open.size, 1, 'the idle connection is still open; the one in use was closed')
})
