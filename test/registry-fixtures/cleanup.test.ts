import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const index = join(import.meta.dirname, '../../registry-fixtures/index.ts')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls until `pid` is gone (reaping after the parent died is asynchronous); false after 15 s. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (!alive(pid)) return true
    await sleep(50)
  }
  return false
}

/** Runs a child node process that starts a registry, prints its pid/dir, then ends as told. */
function runChild(dir: string, ending: string): Promise<{ pid: number; rootDir: string }> {
  const script = join(dir, 'child.mts')
  writeFileSync(script, `
    import { startRegistry } from ${JSON.stringify(index)}
    const reg = await startRegistry()
    process.stdout.write(JSON.stringify({ pid: reg.pid, rootDir: reg.rootDir }) + '\\n')
    ${ending}
  `)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('\n') && ending.includes('SIGKILL')) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out.split('\n')[0] ?? '') as { pid: number; rootDir: string })
      } catch (e) {
        reject(e)
      }
    })
  })
}

t.test('registry dies and its temp dir goes when the test process exits without stop()', async (t) => {
  const { pid, rootDir } = await runChild(t.testdir(), 'process.exit(0)')
  t.ok(pid > 0)
  t.ok(await gone(pid), 'registry process gone')
  t.notOk(existsSync(rootDir), 'temp dir removed')
})

t.test('registry dies when the test process is SIGKILLed (pdeathsig)', async (t) => {
  const { pid, rootDir } = await runChild(t.testdir(), 'setInterval(() => {}, 1000) // SIGKILL')
  t.teardown(() => rmSync(join(rootDir, '..'), { recursive: true, force: true }))
  t.ok(await gone(pid), 'registry process gone')
})
