import t from 'tap'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHostRunner, spawnProcess } from '../../lib/runner/host-runner.js'

const ENV = { PATH: '/usr/bin:/bin' }

// Processes whose command line holds `marker`, found through /proc (no timing involved).
function running(marker: string): number[] {
  const pids: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(marker)) pids.push(Number(d))
    } catch {
      // the process ended while we looked
    }
  }
  return pids
}

t.test('exit code, merged output, cwd', async (t) => {
  const dir = t.testdir()
  const chunks: string[] = []
  const r = await createHostRunner().run('sh', ['-c', 'echo out; echo err >&2; pwd; exit 7'], { cwd: dir, env: ENV, onOutput: (c) => chunks.push(c) })
  t.same(r, { exitCode: 7 })
  const text = chunks.join('')
  t.match(text, /^out$/m)
  t.match(text, /^err$/m)
  t.match(text, new RegExp(`^${dir}$`, 'm'))
})

// tap's process-info hook adds these to every child spawned under test; lading adds nothing
const TAP_INJECTED = /^(NODE_OPTIONS|_TAPJS_[A-Z_]+_)=/

t.test('exactly the given env, nothing inherited', async (t) => {
  process.env.LADING_TEST_SECRET = 'registry-password'
  t.teardown(() => { delete process.env.LADING_TEST_SECRET })
  let out = ''
  await createHostRunner().run('env', ['-0'], { cwd: '/', env: { PATH: '/usr/bin:/bin', ONLY: 'me=too\nx' }, onOutput: (c) => (out += c) })
  t.notMatch(out, /registry-password/)
  t.same(out.split('\0').filter((l) => l && !TAP_INJECTED.test(l)).sort(), ['ONLY=me=too\nx', 'PATH=/usr/bin:/bin'])
})

t.test('multi-byte characters split across chunks arrive whole', async (t) => {
  const dir = t.testdir()
  const text = '€'.repeat(50000)
  writeFileSync(join(dir, 'big.txt'), text)
  let out = ''
  await createHostRunner().run('cat', ['big.txt'], { cwd: dir, env: ENV, onOutput: (c) => (out += c) })
  t.equal(out, text)
})

t.test('killed by a signal: 128 + signal number', async (t) => {
  const r = await createHostRunner().run('sh', ['-c', 'kill -TERM $$'], { cwd: '/', env: ENV })
  t.equal(r.exitCode, 128 + 15)
})

t.test('background children are killed when the process exits', async (t) => {
  const marker = `lading-host-bg-${process.pid}-a`
  const r = await createHostRunner().run('sh', ['-c', `sleep 1000 ${marker} & exit 0`], { cwd: '/', env: ENV })
  t.equal(r.exitCode, 0)
  // the group was SIGKILLed before run() resolved; a killed process can linger as a zombie only
  // until init reaps it, so accept zombies
  const alive = running(marker).filter((p) => !/\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8')))
  t.same(alive, [])
})

t.test('spawn failure rejects with ERR_PROCESS_SPAWN', async (t) => {
  await t.rejects(createHostRunner().run('no-such-program-xyz', [], { cwd: '/', env: ENV }), { code: 'ERR_PROCESS_SPAWN' })
  await t.rejects(createHostRunner().run('true', [], { cwd: '/no/such/dir', env: ENV }), { code: 'ERR_PROCESS_SPAWN' })
})

t.test('abort kills the process group and rejects with ERR_ABORTED', async (t) => {
  const marker = `lading-host-abort-${process.pid}`
  const ac = new AbortController()
  const p = createHostRunner().run('sh', ['-c', `sleep 1000 ${marker} & echo started; wait`], {
    cwd: '/', env: ENV, signal: ac.signal, onOutput: (c) => { if (c.includes('started')) ac.abort() },
  })
  await t.rejects(p, { code: 'ERR_ABORTED' })
  const alive = running(marker).filter((pid) => !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')))
  t.same(alive, [], 'the grandchild is gone too')
  const already = new AbortController()
  already.abort()
  await t.rejects(spawnProcess('true', [], { cwd: '/', env: ENV, signal: already.signal }), { code: 'ERR_ABORTED' })
})
