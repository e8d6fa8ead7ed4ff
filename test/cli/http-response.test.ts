import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { NodeHttpDispatcher } from '../../lib/cli/http-transport.js'
import { parseRawHeaders, request } from '../../lib/cli/http-response.js'

type T = { teardown(fn: () => unknown): void }

async function server(t: T, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; closed: () => number }> {
  let closed = 0
  const s = createServer((req, res) => {
    req.socket.once('close', () => closed++)
    handle(req, res)
  })
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    s.closeAllConnections()
    s.close(() => resolve())
  }))
  return { origin: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, closed: () => closed }
}

function dispatcher(t: T): NodeHttpDispatcher {
  const d = new NodeHttpDispatcher()
  t.teardown(() => d.close())
  return d
}

t.test('headers as undici gives them: lowercased names, a repeated header as an array', async (t) => {
  t.same(parseRawHeaders(['Content-Type', 'a', 'WWW-Authenticate', 'Basic', 'www-authenticate', 'Bearer x', 'X', '1', 'x', '2', 'x', '3']),
    { 'content-type': 'a', 'www-authenticate': ['Basic', 'Bearer x'], x: ['1', '2', '3'] })
})

t.test('status, headers and a body read with backpressure', async (t) => {
  const big = Buffer.alloc(1 << 20, 7)
  const s = await server(t, (_req, res) => {
    res.setHeader('Docker-Content-Digest', 'sha256:x')
    res.end(big)
  })
  const r = await dispatcher(t).request({ origin: s.origin, path: '/v2/', method: 'GET' })
  t.equal(r.statusCode, 200)
  t.equal(r.headers['docker-content-digest'], 'sha256:x')
  const chunks: Buffer[] = []
  for await (const c of r.body) {
    chunks.push(c as Buffer)
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.same(Buffer.concat(chunks), big)
})

t.test('dump() drops the body; a HEAD has an empty one', async (t) => {
  const s = await server(t, (_req, res) => res.end('x'.repeat(1000)))
  const d = dispatcher(t)
  const r = await d.request({ origin: s.origin, path: '/', method: 'GET' })
  await r.body.dump()
  t.ok(r.body.closed)
  const h = await d.request({ origin: s.origin, path: '/', method: 'HEAD' })
  await h.body.dump()
  t.equal(h.statusCode, 200)
})

t.test('a body dropped before its end cuts the request (its socket is not left paused)', async (t) => {
  const s = await server(t, (_req, res) => {
    res.write(Buffer.alloc(1 << 16))
    // never ends
  })
  const r = await dispatcher(t).request({ origin: s.origin, path: '/', method: 'GET' })
  r.body.destroy()
  for (let i = 0; i < 100 && s.closed() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(s.closed(), 1)
})

t.test('the signal: before the request, before the headers, and during the body, with its reason', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/slow') return
    res.write('partial')
  })
  const d = dispatcher(t)
  const before = new AbortController()
  before.abort(new Error('stop now'))
  await t.rejects(d.request({ origin: s.origin, path: '/', method: 'GET', signal: before.signal }), { message: 'stop now' })
  const waiting = new AbortController()
  const p = d.request({ origin: s.origin, path: '/slow', method: 'GET', signal: waiting.signal })
  setTimeout(() => waiting.abort(), 20)
  await t.rejects(p, { name: 'AbortError' }, 'the signal\'s own reason, as undici gives it')
  const during = new AbortController()
  const r = await d.request({ origin: s.origin, path: '/', method: 'GET', signal: during.signal })
  const read = (async () => {
    for await (const _ of r.body) during.abort(new Error('interrupted'))
  })()
  await t.rejects(read, { message: 'interrupted' })
})

t.test('a connection error rejects the request', async (t) => {
  const s = await server(t, (req) => req.socket.destroy())
  const d = dispatcher(t)
  await t.rejects(request((o, h) => d.dispatch(o, h), { origin: s.origin, path: '/', method: 'GET' }), { code: 'ECONNRESET' })
})
