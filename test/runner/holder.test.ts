// Tests of the holder: the root process that makes a stage's whiteout and mounts in a private mount namespace we keep open.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { closeSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startHolder } from '../../lib/runner/holder.js'

const skip = process.getuid?.() !== 0 && 'needs root'

t.test('makes the whiteout, mounts the fstab in a namespace of its own, and hands it over', { skip }, async (t) => {
  const dir = t.testdir({ src: { f: 'from the source' }, mnt: {} })
  const holder = await startHolder(join(dir, 'wh'))
  await holder.made
  const st = lstatSync(join(dir, 'wh'))
  t.ok(st.isCharacterDevice() && st.rdev === 0, 'a 0/0 character device')
  writeFileSync(join(dir, 'fstab'), `${join(dir, 'src')} ${join(dir, 'mnt')} none bind,ro 0 0\n`)
  const fd = await holder.mount(join(dir, 'fstab'))
  t.teardown(() => closeSync(fd))
  const r = spawnSync('nsenter', [`--mount=/proc/${process.pid}/fd/${fd}`, '--', 'cat', join(dir, 'mnt', 'f')], { encoding: 'utf8' })
  t.equal(r.stdout, 'from the source', 'mounted in the namespace')
  t.same(readdirSync(join(dir, 'mnt')), [], 'and not on the host')
})

t.test('a failing mount rejects with mount\'s message', { skip }, async (t) => {
  const dir = t.testdir({ mnt: {} })
  const holder = await startHolder(undefined)
  await holder.made
  writeFileSync(join(dir, 'fstab'), `${join(dir, 'missing')} ${join(dir, 'mnt')} none bind 0 0\n`)
  await t.rejects(holder.mount(join(dir, 'fstab')), { code: 'ERR_SANDBOX_SETUP', message: /staging the mounts failed.*missing/s })
})

t.test('a whiteout that cannot be made fails "made"; stop() ends a holder that never mounts', { skip }, async (t) => {
  const dir = t.testdir({})
  const bad = await startHolder(join(dir, 'no', 'such', 'dir', 'wh'))
  await t.rejects(bad.made, { code: 'ERR_SANDBOX_SETUP', message: /mknod/ })
  await t.rejects(bad.mount(join(dir, 'fstab')), { code: 'ERR_SANDBOX_SETUP' }, 'mount() after a failure rejects at once')
  const idle = await startHolder(undefined)
  await idle.made
  idle.stop()
  mkdirSync(join(dir, 'after'))
  t.pass('stopped without an unhandled rejection')
})
