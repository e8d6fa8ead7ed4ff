/**
 * Periodic and one-off faults never decide a push (issue #10): with every 2nd or every 3rd upload
 * request answered 503, and separately with a connection reset mid-body, a 200 MiB layer (one
 * streamed PATCH) and a small config (monolithic PUT) land intact, three runs each. Each request
 * has its own retry budget, so the faults never add up across a resume round.
 */
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Digest } from '../../lib/digest/index.js'
import { writeBigBlob, type FaultRule } from '../../registry-fixtures/index.js'
import { runCli } from '../helpers/cli.js'
import { client, proxy, registry } from './fixture-helpers.js'

const MiB = 1 << 20
const LAYER_SIZE = 200 * MiB
const UPLOADS = /\/blobs\/uploads\//
// Every blob request (HEAD included): a restart round HEAD → POST → PUT is then exactly 3 requests,
// the round that used to meet the fault every time (the config failing 4 attempts in a row).
const BLOBS = /\/blobs\//

const reg = await registry(t)
const dir = await mkdtemp(join(tmpdir(), 'lading-faults-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

/** 200 MiB, cheap to make, no two MiB alike. */
async function bigFile(): Promise<{ path: string; digest: Digest; size: number }> {
  const b = await writeBigBlob(join(dir, 'layer.bin'), LAYER_SIZE / MiB)
  return { ...b, digest: b.digest as Digest }
}

const layer = await bigFile()
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, pad: 'x'.repeat(60) }))
const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}` as Digest

async function pushBoth(t: Test, rules: FaultRule[], repository: string): Promise<void> {
  const p = await proxy(t, reg.url, rules)
  const lines: string[] = []
  const c = client(t, reg, { host: p.host, lines })
  const repo = c.repository({ registry: p.host, repository })
  const l = await repo.blobs.put(() => createReadStream(layer.path, { highWaterMark: MiB }), { digest: layer.digest, size: layer.size })
  t.equal(l.digest, layer.digest, 'layer pushed')
  const cfg = await repo.blobs.put(config, { digest: configDigest, size: config.length })
  t.equal(cfg.digest, configDigest, 'config pushed')
  t.equal((await repo.blobs.stat(layer.digest))?.size, layer.size, 'the registry has the whole layer')
  t.equal((await repo.blobs.stat(configDigest))?.size, config.length, 'and the config')
  t.ok(p.requests.some((r) => r.fault !== undefined), 'a fault fired')
  t.notOk(lines.some((l) => /_state=(?!\*\*\*)/.test(l)), 'no upload state token in log lines')
}

const periodic: Array<[number, RegExp, string]> = [[2, UPLOADS, 'upload'], [3, UPLOADS, 'upload'], [3, BLOBS, 'blob']]
for (const [every, path, what] of periodic) {
  t.test(`every ${every === 2 ? '2nd' : '3rd'} ${what} request answered 503: a 200 MiB layer and a ${config.length}-byte config push, three runs`, async (t) => {
    for (let run = 1; run <= 3; run++) {
      await t.test(`run ${run}`, (t) => pushBoth(t, [{ match: { path, every }, action: { status: 503, body: 'unavailable' } }], `faults/${what}-every${every}-${run}`))
    }
  })
}

t.test('a connection reset mid-body (layer PATCH at 100 MiB, config PUT at 100 bytes): both push, three runs', async (t) => {
  for (let run = 1; run <= 3; run++) {
    await t.test(`run ${run}`, (t) => pushBoth(t, [
      { match: { method: 'PATCH', path: UPLOADS, nth: 1 }, action: { resetAfterBytes: 100 * MiB, direction: 'request' } },
      // PUT #1 is the layer's empty commit; #2 carries the config.
      { match: { method: 'PUT', path: UPLOADS, nth: 2 }, action: { resetAfterBytes: 100, direction: 'request' } },
    ], `faults/reset-${run}`))
  }
})

t.test('lading copy with every 3rd blob request answered 503 exits 0, rates formatted', async (t) => {
  const p = await proxy(t, reg.url, [{ match: { path: BLOBS, every: 3 }, action: { status: 503, body: 'unavailable' } }])
  const content = join(dir, 'content')
  await mkdir(content, { recursive: true })
  await writeFile(join(content, 'hello.txt'), randomBytes(300_000))
  const made = await runCli(['append', 'scratch', `oci:${join(dir, 'layout')}:t`, '--layer', `${content}:/data`, '--quiet'])
  t.equal(made.code, 0, made.stderr)
  const r = await runCli(['copy', `oci:${join(dir, 'layout')}:t`, `${p.host}/faults/cli:1`])
  t.equal(r.code, 0, r.stderr)
  t.ok(p.requests.filter((x) => x.fault !== undefined).length >= 2, 'faults fired')
  t.notMatch(r.stderr, /\d\.\d{3,} B\/s/, 'rates are formatted')
})
