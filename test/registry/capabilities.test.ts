import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { loadCapabilities, pingToKeep } from '../../lib/registry/capabilities.js'
import { blob, client, proxy, registry } from './fixture-helpers.js'

const DAY = 24 * 3600 * 1000

t.test('facts learned in one run are there in the next; nothing is written when nothing was learned', async (t) => {
  const file = join(t.testdir(), 'sub', 'registries.json')
  const a = loadCapabilities(file, { now: () => 1000 * DAY })
  t.same([...a.chunked, ...a.refusedMounts], [], 'no file: nothing known')
  a.save()
  t.throws(() => readFileSync(file), { code: 'ENOENT' }, 'nothing learned: no file')
  a.chunked.add('reg.example')
  a.refusedMounts.add('reg.example|team/base')
  a.save()
  const lines: string[] = []
  const b = loadCapabilities(file, { now: () => 1000 * DAY, log: (l) => lines.push(l) })
  t.same([...b.chunked], ['reg.example'])
  t.same([...b.refusedMounts], ['reg.example|team/base'])
  t.match(lines, [/registry reg\.example: chunked uploads/])
})

t.test('facts expire; a run merges with what another run wrote meanwhile; damage is ignored', async (t) => {
  const file = join(t.testdir(), 'registries.json')
  let now = 1000 * DAY
  const first = loadCapabilities(file, { now: () => now })
  first.chunked.add('old.example')
  first.save()
  now += 8 * DAY
  const later = loadCapabilities(file, { now: () => now })
  t.same([...later.chunked], [], 'a week later the fact is gone')
  const x = loadCapabilities(file, { now: () => now })
  const y = loadCapabilities(file, { now: () => now })
  x.chunked.add('x.example')
  y.refusedMounts.add('y.example|repo')
  x.save()
  y.save()
  const merged = loadCapabilities(file, { now: () => now })
  t.same([...merged.chunked], ['x.example'])
  t.same([...merged.refusedMounts], ['y.example|repo'])
  for (const bad of ['not json', '{"version":2,"chunked":{"a":1}}', '{"version":1,"chunked":{"a":"yesterday","b":null}}']) {
    writeFileSync(file, bad)
    t.same([...loadCapabilities(file, { now: () => now }).chunked], [], `ignored: ${bad}`)
  }
  const blocked = join(t.testdir(), 'a-file')
  writeFileSync(blocked, '')
  const c = loadCapabilities(join(blocked, 'registries.json'))
  c.chunked.add('z.example')
  t.doesNotThrow(() => c.save(), 'an unwritable place is not an error')
})

t.test('at most 200 facts of a kind are kept, the newest: a machine that meets a new loopback registry every run keeps a small file', async (t) => {
  const file = join(t.testdir(), 'registries.json')
  let now = 1000 * DAY
  for (let run = 0; run < 3; run++) {
    const c = loadCapabilities(file, { now: () => now })
    for (let i = 0; i < 150; i++) {
      c.pings.set(`127.0.0.1:${run * 1000 + i}`, { base: `http://127.0.0.1:${run * 1000 + i}` })
      c.singlePostIgnored.add(`127.0.0.1:${run * 1000 + i}`)
    }
    c.save()
    now += 1000
  }
  const kept = loadCapabilities(file, { now: () => now })
  t.equal(kept.pings.size, 200)
  t.equal(kept.singlePostIgnored.size, 200)
  const ofRun = (run: number): number => [...kept.pings.keys()].filter((k) => Math.floor(Number(k.split(':')[1]) / 1000) === run).length
  t.same([ofRun(0), ofRun(1), ofRun(2)], [0, 50, 150], 'the last run\'s facts all stay, the oldest go first')
})

t.test('a registry that answered 413 gets chunks from the first PATCH in the next run', async (t) => {
  const reg = await registry(t)
  const p = await proxy(t, reg.url, [{ match: { method: 'PATCH', nth: 1 }, action: { status: 413, body: 'too large' } }])
  const file = join(t.testdir(), 'registries.json')
  const one = client(t, reg, { host: p.host, chunkSize: 4096, capabilitiesFile: file })
  const b1 = blob(9000)
  await one.repository({ registry: p.host, repository: 'caps/a' }).blobs.put(() => Readable.from([b1.bytes]), { digest: b1.digest, size: b1.size })
  await one.close()
  t.equal(p.requests.filter((r) => r.status === 413).length, 1)
  const mark = p.requests.length
  const two = client(t, reg, { host: p.host, chunkSize: 4096, capabilitiesFile: file })
  const b2 = blob(9001)
  await two.repository({ registry: p.host, repository: 'caps/a' }).blobs.put(() => Readable.from([b2.bytes]), { digest: b2.digest, size: b2.size })
  const patches = p.requests.slice(mark).filter((r) => r.method === 'PATCH')
  t.same(patches.map((r) => `${r.status} ${r.headers['content-range']}`), ['202 0-4095', '202 4096-8191', '202 8192-9000'], 'chunked from the start, no 413')
})

t.test('ping answers, manifest validation and ignored single POSTs are kept; a ping found wrong is dropped', async (t) => {
  const file = join(t.testdir(), 'registries.json')
  const now = 1000 * DAY
  const a = loadCapabilities(file, { now: () => now })
  a.validatesManifests.add('v.example')
  a.singlePostIgnored.add('s.example')
  a.pings.set('p.example', pingToKeep('https://p.example', { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'p', scope: 'repository:x:pull', error: 'invalid_token' } }))
  a.pings.set('q.example', pingToKeep('http://q.example', undefined))
  a.save()
  const b = loadCapabilities(file, { now: () => now })
  t.same([...b.validatesManifests], ['v.example'])
  t.same([...b.singlePostIgnored], ['s.example'])
  t.same(b.pings.get('p.example'), { base: 'https://p.example', challenge: { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'p' } } },
    'only realm and service are kept')
  t.same(b.pings.get('q.example'), { base: 'http://q.example' })
  b.pings.delete('q.example')
  b.save()
  t.same([...loadCapabilities(file, { now: () => now }).pings.keys()], ['p.example'], 'the dropped one is gone from the file')
  writeFileSync(file, JSON.stringify({ version: 1, pings: {
    a: { base: 'ftp://a', t: now }, b: { base: 'https://b', challenge: { scheme: 'digest', params: {} }, t: now },
    c: { base: 'https://c/path', t: now }, d: { base: 'https://d', t: 'now' }, e: { base: 'https://e', t: now },
  } }))
  t.same([...loadCapabilities(file, { now: () => now }).pings.keys()], ['e'], 'damaged entries are ignored')
})

t.test('save writes only what changed: pings read back and set again as they were leave the file alone', async (t) => {
  const file = join(t.testdir(), 'registries.json')
  const now = 1000 * DAY
  const ping = (i: number) => pingToKeep(`https://r${i}.example`, { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: `r${i}` } })
  const a = loadCapabilities(file, { now: () => now })
  for (let i = 0; i < 3; i++) a.pings.set(`r${i}.example`, ping(i))
  a.save()
  const b = loadCapabilities(file, { now: () => now })
  b.pings.set('r1.example', ping(1)) // a session that pinged again and got the same answer
  writeFileSync(file, 'not written since')
  b.save()
  t.equal(readFileSync(file, 'utf8'), 'not written since', 'nothing changed: the file is not written')
  b.pings.set('r2.example', pingToKeep('https://r2.example', undefined))
  b.save()
  t.same(JSON.parse(readFileSync(file, 'utf8')).pings['r2.example'], { base: 'https://r2.example', t: now }, 'a changed answer is written')
})
