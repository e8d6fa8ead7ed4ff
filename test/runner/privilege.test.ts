// Tests of the sandbox's root-dropping helpers: host ids, tool lookup, the stage parent, the nsenter command.
import t from 'tap'
import { statfsSync, statSync } from 'node:fs'
import { droppedCommand, findTool, hostIdsFor, isTmpfs, NOBODY, stageParent } from '../../lib/runner/privilege.js'

t.test('the build user keeps its ids on the host; root becomes nobody', async (t) => {
  t.same(hostIdsFor(1000, 1001), { uid: 1000, gid: 1001 })
  t.same(hostIdsFor(0, 0), { uid: NOBODY, gid: NOBODY })
})

t.test('tools are looked up once; a missing one names its package and is looked up again next time', async (t) => {
  const sh = findTool('sh-test', ['/nonexistent/sh', '/bin/sh'])
  t.equal(await sh, '/bin/sh')
  t.equal(findTool('sh-test', ['/other']), sh, 'the same lookup, not a new one')
  await t.rejects(findTool('nope-test', ['/nonexistent/nope']), { code: 'ERR_SANDBOX_UNAVAILABLE', message: /nope-test not found.*util-linux/ })
  t.equal(await findTool('nope-test', ['/bin/sh']), '/bin/sh', 'a failed lookup is not kept')
})

t.test('the stage parent is a temp dir every user can search, a tmpfs when there is one', async (t) => {
  const p = await stageParent()
  t.ok(statSync(p).mode & 0o001)
  const shm = (() => {
    try {
      return statfsSync('/dev/shm').type === 0x01021994 && (statSync('/dev/shm').mode & 0o001) !== 0
    } catch {
      return false
    }
  })()
  if (shm && statfsSync(p).type !== 0x01021994) t.fail(`${p} chosen over the tmpfs /dev/shm`)
})

t.test('one exec: nsenter enters the namespace, drops groups, gid and uid, and execs bwrap', async (t) => {
  const cmd = await droppedCommand('/proc/1/fd/9', { uid: 1000, gid: 1001 }, '/usr/bin/bwrap', ['--unshare-all', '--', 'true'])
  t.match(cmd.file, /\/nsenter$/)
  t.same(cmd.args, ['--mount=/proc/1/fd/9', '--setgid=1001', '--setuid=1000', '--', '/usr/bin/bwrap', '--unshare-all', '--', 'true'])
})

t.test('isTmpfs reads the file system type; a missing path is no tmpfs', async (t) => {
  let shm = false
  try {
    shm = statfsSync('/dev/shm').type === 0x01021994
  } catch {
    // no /dev/shm here
  }
  t.equal(isTmpfs('/dev/shm'), shm)
  t.equal(isTmpfs('/no/such/path/here'), false)
  t.equal(isTmpfs('/proc'), false, 'procfs is not a tmpfs')
})
