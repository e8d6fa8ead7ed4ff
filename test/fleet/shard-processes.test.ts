/** `--shard K/N` across N real processes (bin/lading): every image handled exactly once. */
import t from 'tap'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeBaseImages, startRegistry, type RegistryFixture } from '../../registry-fixtures/index.js'
import { runBin, runCli } from '../helpers/cli.js'

let work: string
let reg: RegistryFixture
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-fleet-shards-'))
  reg = await startRegistry({ variant: 'http' })
})
t.teardown(async () => {
  await reg?.stop()
  await rm(work, { recursive: true, force: true })
})

t.test('3 processes with --shard 0/3, 1/3, 2/3 build 12 images, each exactly once', async (t) => {
  const base = await makeBaseImages(join(work, 'base'))
  t.equal((await runCli(['copy', base.runV1, `${reg.host}/base/run:1`])).code, 0)
  const bp = join(work, 'bp')
  await mkdir(join(bp, 'bin'), { recursive: true })
  await writeFile(join(bp, 'buildpack.toml'), 'api = "0.10"\n[buildpack]\nid = "fleet-test/tiny"\nversion = "1.0.0"\n')
  await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n')
  await writeFile(join(bp, 'bin', 'build'), '#!/bin/sh\nprintf \'[[processes]]\\ntype = "web"\\ncommand = ["cat", "/workspace/msg.txt"]\\ndefault = true\\n\' >"$CNB_LAYERS_DIR/launch.toml"\n')
  await chmod(join(bp, 'bin', 'detect'), 0o755)
  await chmod(join(bp, 'bin', 'build'), 0o755)
  await mkdir(join(work, 'app'))
  await writeFile(join(work, 'app', 'msg.txt'), 'hi\n')
  const tags = Array.from({ length: 12 }, (_, i) => `${reg.host}/shard/app-${i}:latest`)
  const file = join(work, 'fleet.toml')
  await writeFile(file, `[defaults]\npath = "./app"\nbuildpacks = ["./bp"]\nrun-image = "${reg.host}/base/run:1"\n${tags.map((tag) => `[[images]]\ntag = "${tag}"\n`).join('')}`)
  const runs = await Promise.all([0, 1, 2].map((k) => runBin(['fleet', 'apply', file, '--shard', `${k}/3`, '--json'])))
  const handled: string[] = []
  for (const [k, r] of runs.entries()) {
    t.equal(r.code, 0, `shard ${k}: ${r.stderr}`)
    const out = JSON.parse(r.stdout) as { images: { tag: string; result: string }[]; shard: { index: number; count: number; declared: number } }
    t.same(out.shard, { index: k, count: 3, declared: 12 })
    for (const i of out.images) {
      t.equal(i.result, 'built', JSON.stringify(i))
      handled.push(i.tag)
    }
  }
  t.same([...handled].sort(), [...tags].sort(), 'every image exactly once across the shards')
  const again = await runBin(['fleet', 'plan', file, '--json'])
  t.equal(again.code, 0, again.stderr)
  t.same(JSON.parse(again.stdout).images.map((i: { action: string }) => i.action), tags.map(() => 'up-to-date'))
})
