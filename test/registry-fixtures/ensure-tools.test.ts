import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runTool } from '../../registry-fixtures/index.js'

const script = join(import.meta.dirname, '../../registry-fixtures/ensure-tools.sh')

t.test('tools present: exits 0; podman config edits are idempotent and keep other content', async (t) => {
  const dir = t.testdir({
    'containers.conf': '# keep me\n[containers]\nlog_driver = "k8s-file"\n\n[engine]\nevents_logger = "file"\n',
  })
  const env = { LADING_CONTAINERS_DIR: dir }
  const first = await runTool('bash', [script], { env })
  t.equal(first.code, 0, first.stderr)
  const conf = readFileSync(join(dir, 'containers.conf'), 'utf8')
  t.match(conf, /# keep me\n\[containers\]\ndefault_ulimits = \[\]\nlog_driver = "k8s-file"/)
  t.match(conf, /\[engine\]\nruntime = "runc"\nevents_logger = "file"/)
  t.equal(conf.match(/\[containers\]/g)?.length, 1, 'no duplicate table')
  t.match(readFileSync(join(dir, 'storage.conf'), 'utf8'), /\[storage\]\n(.*\n)*driver = "vfs"\n/)
  const second = await runTool('bash', [script], { env })
  t.equal(second.code, 0)
  t.equal(readFileSync(join(dir, 'containers.conf'), 'utf8'), conf, 'second run changes nothing')
})

t.test('an existing setting is left alone; a missing table is appended', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'containers.conf'), '[engine]\nruntime = "crun"\n')
  const r = await runTool('bash', [script], { env: { LADING_CONTAINERS_DIR: dir } })
  t.equal(r.code, 0)
  t.equal(readFileSync(join(dir, 'containers.conf'), 'utf8'), '[engine]\nruntime = "crun"\n\n[containers]\ndefault_ulimits = []\n')
})

t.test('missing tool without root/apt: names the Debian package and exits 1', async (t) => {
  if (process.getuid?.() === 0) {
    // As root the script would install; emulate a non-root user by hiding apt-get and id.
    const bin = t.testdir({ 'id': '#!/bin/sh\necho 1000\n' })
    const { chmodSync } = await import('node:fs')
    chmodSync(join(bin, 'id'), 0o755)
    const r = await runTool('/bin/bash', [script], {
      env: { PATH: `${bin}:/nonexistent-dir`, LADING_CONTAINERS_DIR: t.testdir() },
    })
    t.equal(r.code, 1)
    t.match(r.stderr, /apt-get install -y .*docker-registry.*skopeo/)
    t.match(r.stderr, /apache2-utils/)
  } else {
    t.pass('not root: covered by the real environment')
  }
})
