// A benchmark stopped by SIGINT or SIGTERM removes its scratch directories and exits 130 or 143.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const TEMP = fileURLToPath(new URL('../../benchmarks/lib/temp.ts', import.meta.url))

/**
 * Starts `script` (an .mts: an ES module wherever it sits, for its top-level await) under tsx;
 * `printed` resolves with its first `lines` lines on stdout, `exited` with its exit code and signal.
 */
function startScript(script: string, lines = 1): { child: ChildProcess; printed: Promise<string[]>; exited: Promise<[number | null, string | null]>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
  const printed = new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const got = out.split('\n').filter(Boolean)
      if (got.length >= lines) resolve(got.slice(0, lines))
    })
    void exited.then(([c]) => reject(new Error(`the child exited ${c} first: ${err}`)))
  })
  return { child, printed, exited, stderr: () => err }
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  t.test(`${signal}: the scratch directories are gone, exit ${code}`, async (t) => {
    const own = mkdtempSync(join(tmpdir(), 'lading-bench-temp-test-'))
    t.teardown(() => rmSync(own, { recursive: true, force: true }))
    // .mts: an ES module wherever it sits (no package.json says so in the temp dir), for its top-level await.
    const script = join(own, 'child.mts')
    writeFileSync(script, `import { benchDir } from ${JSON.stringify(TEMP)}\nconst a = await benchDir('a')\nconst b = await benchDir('b')\nprocess.stdout.write(a + '\\n' + b + '\\n')\nsetInterval(() => {}, 1000)\n`)
    const run = startScript(script, 2)
    const dirs = await run.printed
    t.ok(dirs.every((d) => existsSync(d)), 'made')
    run.child.kill(signal)
    t.same(await run.exited, [code, null])
    t.ok(dirs.every((d) => !existsSync(d)), 'removed')
    t.match(run.stderr(), new RegExp(`benchmark stopped by ${signal}`))
  })
}

t.test('a timed command still running is killed before the scratch dirs go, so it cannot write them again', async (t) => {
  const own = mkdtempSync(join(tmpdir(), 'lading-bench-temp-test-'))
  t.teardown(() => rmSync(own, { recursive: true, force: true }))
  const harness = fileURLToPath(new URL('../../benchmarks/lib/harness.ts', import.meta.url))
  const script = join(own, 'child.mts')
  // The timed command keeps re-creating a file in the scratch dir, as a lading run with HOME there
  // would, and leaves a file in its temp dir, as a lading build killed mid-way would.
  const tmpSeen = join(own, 'tmpdir')
  writeFileSync(script, `import { benchDir } from ${JSON.stringify(TEMP)}\nimport { timeCmd } from ${JSON.stringify(harness)}\n` +
    `const a = await benchDir('a')\nprocess.stdout.write(a + '\\n')\n` +
    `await timeCmd({ argv: ['sh', '-c', 'echo "$TMPDIR" > ${tmpSeen}; mkdir "$TMPDIR/lading-build-x"; echo up > ' + a + '/up; while :; do mkdir -p ' + a + '/again; sleep 0.01; done'] })\n`)
  const run = startScript(script)
  const [dir] = (await run.printed) as [string]
  while (!existsSync(join(dir, 'up'))) await new Promise((r) => setTimeout(r, 20))
  run.child.kill('SIGTERM')
  t.same(await run.exited, [143, null])
  await new Promise((r) => setTimeout(r, 300))
  t.notOk(existsSync(dir), 'still gone 300 ms later: the command was stopped, not left writing')
  const tmp = readFileSync(tmpSeen, 'utf8').trim()
  t.match(tmp, /lading-bench-time-/, 'its TMPDIR was inside the benchmark\'s scratch dirs')
  t.notOk(existsSync(tmp), 'and what it left there is gone with them')
})

t.test('a benchmark that dies of an error leaves no timed command running and no scratch dir', async (t) => {
  const own = mkdtempSync(join(tmpdir(), 'lading-bench-temp-test-'))
  t.teardown(() => rmSync(own, { recursive: true, force: true }))
  const harness = fileURLToPath(new URL('../../benchmarks/lib/harness.ts', import.meta.url))
  const script = join(own, 'child.mts')
  const pidFile = join(own, 'pid')
  writeFileSync(script, `import { timeCmd } from ${JSON.stringify(harness)}\n` +
    `import { existsSync } from 'node:fs'\n` +
    `setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) throw new Error('the benchmark failed') }, 20)\n` +
    `await timeCmd({ argv: ['sh', '-c', 'echo $$ > ${pidFile}; while :; do sleep 0.05; done'] })\n`)
  // Its temp dir is ours, so what it leaves there can be listed.
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore', env: { ...process.env, TMPDIR: own } })
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  t.not(code, 0)
  t.same(readdirSync(own).filter((f) => f.startsWith('lading-bench-')), [], 'timeCmd\'s scratch dir removed at exit')
  const pid = Number(readFileSync(pidFile, 'utf8'))
  t.ok(pid > 0, 'the command ran')
  // Killed is dead or a zombie: an orphan waits for this machine's init to reap it.
  const running = (): boolean => {
    try {
      return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    } catch {
      return false
    }
  }
  let alive = running()
  for (let i = 0; i < 20 && alive; i++) {
    await new Promise((r) => setTimeout(r, 25))
    alive = running()
  }
  if (alive) process.kill(pid, 'SIGKILL')
  t.notOk(alive, 'the command was killed when the benchmark exited')
})

t.test('SIGINT again and again while the dirs are being removed: still all removed, exit 130', async (t) => {
  const own = mkdtempSync(join(tmpdir(), 'lading-bench-temp-test-'))
  t.teardown(() => rmSync(own, { recursive: true, force: true }))
  const script = join(own, 'child.mts')
  // Enough files that removing them takes a while: the signals below land during it.
  writeFileSync(script, `import { benchDir } from ${JSON.stringify(TEMP)}\nimport { mkdirSync, writeFileSync } from 'node:fs'\n` +
    `const a = await benchDir('a')\nfor (let i = 0; i < 100; i++) { mkdirSync(a + '/' + i); for (let j = 0; j < 200; j++) writeFileSync(a + '/' + i + '/' + j, '') }\n` +
    `process.stdout.write(a + '\\n')\nsetInterval(() => {}, 1000)\n`)
  const run = startScript(script)
  const [dir] = (await run.printed) as [string]
  run.child.kill('SIGINT')
  const again = setInterval(() => run.child.kill('SIGINT'), 2)
  const [code, signal] = await run.exited
  clearInterval(again)
  t.same([code, signal], [130, null], 'exit 130, not killed by the second signal')
  t.notOk(existsSync(dir), 'removed whole')
})
