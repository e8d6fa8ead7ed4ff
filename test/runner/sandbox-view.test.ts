// Tests of what a sandbox sees: the host-root allowlist, hidden paths and bind arguments.
import t from 'tap'
import { join } from 'node:path'
import { argvFor, mountArgs, plan, type SandboxOptions } from '../../lib/runner/sandbox-view.js'

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
