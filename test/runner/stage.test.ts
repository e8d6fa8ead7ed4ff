// Tests of the prepared mount namespace a root-run sandbox starts from: what is mounted where, what the host sees, and cleanup.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openStage } from '../../lib/runner/stage.js'
import { viewOps, type SandboxBind } from '../../lib/runner/sandbox-view.js'

const asRoot = process.getuid?.() === 0
// a temp dir of this test's own, so what a stage leaves behind can be listed
const tmp = `/tmp/lading-stage-test-${process.pid}`
if (asRoot) {
  mkdirSync(tmp, { recursive: true })
  chmodSync(tmp, 0o755)
  process.env.TMPDIR = tmp
  t.teardown(() => rmSync(tmp, { recursive: true, force: true }))
}

/** Runs `sh -c script` inside the stage's namespace (as root). */
function inNamespace(nsPath: string, script: string): { code: number | null; out: string } {
  const r = spawnSync('nsenter', [`--mount=${nsPath}`, '--', 'sh', '-c', script], { encoding: 'utf8' })
  return { code: r.status, out: r.stdout + r.stderr }
}

t.test('the root view, baked read-only binds and staged writable ones exist only in the namespace', { skip: !asRoot && 'needs root' }, async (t) => {
  const dir = t.testdir({
    rootfs: { etc: { a: 'etc-a', shadow: 'hash', sub: { hidden: 'h', shown: 'x' } }, bin: { sh: 'not a shell' } },
    ws: { app: 'app' }, bp: { 'buildpack.toml': 'bp' },
  })
  const binds: SandboxBind[] = [
    { source: join(dir, 'ws'), target: '/workspace' },
    { source: join(dir, 'bp'), target: '/cnb/buildpacks/x/1', readOnly: true },
  ]
  const root = { list: join(dir, 'rootfs'), src: join(dir, 'rootfs') }
  for (const overlays of [true, false]) {
    const ops = await viewOps(root, binds, ['/etc/shadow', '/etc/sub/hidden'], overlays)
    t.equal(ops.some((o) => o.op === 'overlay'), overlays, `overlays: ${overlays}`)
    const stage = await openStage(ops, binds)
    t.equal(statSync(stage.dir).mode & 0o777, 0o711, 'the stage is searchable, not listable, by others')
    t.same(readdirSync(stage.dir).filter((n) => n === 'fstab'), [], 'the fstab is gone once mounted')
    t.same([...stage.baked], ['/cnb/buildpacks/x/1'], 'the read-only bind is made in the root')
    t.same([...stage.map.keys()], [join(dir, 'ws')], 'the writable one is staged for bwrap')
    const r = inNamespace(stage.nsPath, `cd ${stage.root} && cat etc/a etc/sub/shown cnb/buildpacks/x/1/buildpack.toml ${stage.map.get(join(dir, 'ws'))}/app; ` +
      'ls etc/shadow etc/sub/hidden 2>/dev/null; touch etc/new cnb/buildpacks/x/1/new 2>/dev/null || echo read-only')
    t.same(r, { code: 0, out: 'etc-ax' + 'bp' + 'app' + 'read-only\n' }, 'hidden paths are not there; the view is read-only')
    t.same(readdirSync(join(stage.root, 'cnb', 'buildpacks', 'x', '1')), [], 'on the host, mount points are empty')
    t.same(readdirSync(join(dir, 'bp')), ['buildpack.toml'], 'nothing written into a source')
    await stage.close()
    t.notOk(existsSync(stage.dir), 'close removes the stage')
    t.not(inNamespace(stage.nsPath, 'true').code, 0, 'and the namespace is gone')
  }
  t.same(readdirSync(tmp), [], 'nothing left in the temp dir')
})

t.test('a mount that fails is reported with mount\'s message and leaves nothing behind', { skip: !asRoot && 'needs root' }, async (t) => {
  const dir = t.testdir({ ws: {} })
  const ops = [{ op: 'ro-bind' as const, source: join(dir, 'missing'), path: '/x', dir: true }]
  await t.rejects(openStage(ops, [{ source: join(dir, 'ws'), target: '/workspace' }]), { code: 'ERR_SANDBOX_SETUP', message: /mount.*missing/s })
  t.same(readdirSync(tmp), [])
})
