// Tests of what a sandbox sees: the host-root allowlist, hidden paths, overlays and bind arguments.
import t from 'tap'
import { join } from 'node:path'
import { argvFor, mountArgs, plan, viewArgs, viewOps, type SandboxOptions } from '../../lib/runner/sandbox-view.js'

const base: SandboxOptions = { binds: [], uid: 1000, gid: 1000, network: false }

t.test('host root: only the system dirs, without secrets or credential paths', async (t) => {
  const p = await plan({ ...base, alsoHide: ['/etc/hostname', '/usr', 'relative', '/'] })
  const args = await mountArgs(p.root, p.binds, p.hide, (s) => s)
  const targets = new Set<string>()
  for (let i = 0; i < args.length; i++) if (args[i] === '--ro-bind' || args[i] === '--symlink') targets.add(args[i + 2]!)
  for (const top of [...targets].filter((x) => x.split('/').length === 2)) {
    t.ok(['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/etc', '/opt'].includes(top), `${top} is a system dir`)
  }
  for (const secret of ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/hostname', '/root', '/home', '/run', '/var']) t.notOk(targets.has(secret), secret)
  t.ok(targets.has('/etc/passwd'), 'the rest of /etc is there')
  t.ok(targets.has('/usr'), 'a credential variable naming /usr does not hide it')
})

t.test('a build image root: everything of the image, nothing of the host; binds from the given sources', async (t) => {
  const dir = t.testdir({ rootfs: { etc: { x: '1' }, bin: {} }, ws: {} })
  const p = await plan({ ...base, rootfs: join(dir, 'rootfs'), binds: [{ source: join(dir, 'ws'), target: '/workspace' }] })
  const args = await mountArgs(p.root, p.binds, p.hide, (s) => `/staged${s}`)
  t.same(args.filter((a) => a.startsWith(join(dir, 'rootfs'))).sort(), [join(dir, 'rootfs', 'bin'), join(dir, 'rootfs', 'etc')])
  t.ok(args.join(' ').includes(`--bind /staged${join(dir, 'ws')} /workspace`))
  const argv = argvFor(base, args, 'true', [], '/')
  t.same(argv.slice(argv.indexOf('--uid'), argv.indexOf('--uid') + 4), ['--uid', '1000', '--gid', '1000'])
})

t.test('with overlays, a dir with only hidden paths below is one overlay; one with a bind target below is walked', async (t) => {
  const dir = t.testdir({ rootfs: { etc: { a: '1', shadow: 'x', ssl: { private: {}, certs: {} } }, usr: {}, cnb: { x: '1' } } })
  const rootfs = join(dir, 'rootfs')
  const binds = [{ source: dir, target: '/cnb/buildpacks/a/1', readOnly: true }]
  const hide = ['/etc/shadow', '/etc/ssl/private', '/etc/nope']
  const ops = await viewOps({ list: rootfs, src: rootfs }, binds, hide, true)
  t.same(ops.filter((o) => o.op === 'overlay'), [{ op: 'overlay', source: join(rootfs, 'etc'), path: '/etc', dirs: ['ssl'], whiteouts: ['shadow', 'ssl/private'] }])
  t.ok(ops.some((o) => o.op === 'dir' && o.path === '/cnb') && ops.some((o) => o.op === 'ro-bind' && o.path === '/cnb/x'), '/cnb entry by entry')
  t.throws(() => viewArgs(ops), { code: 'ERR_SANDBOX_OPTIONS' }, 'bwrap itself cannot make an overlay')
  const without = await viewOps({ list: rootfs, src: rootfs }, binds, hide)
  t.notOk(without.some((o) => o.op === 'overlay'))
  const paths = without.map((o) => o.path)
  t.same(paths.filter((p) => p.startsWith('/etc')), ['/etc', '/etc/a', '/etc/ssl', '/etc/ssl/certs'], 'without: a bind per entry, hidden ones left out')
})
