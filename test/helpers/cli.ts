import { PassThrough } from 'node:stream'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { main } from '../../lib/cli/index.js'

/** Runs the CLI in-process with captured output. */
export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; stdoutBytes: Buffer }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  let err = ''
  stdout.on('data', (d: Buffer) => out.push(d))
  stderr.on('data', (d) => (err += d))
  // A run that never settles fails in 90 s with what it was doing, instead of tap's bare timeout.
  let timer: NodeJS.Timeout | undefined
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const p = process as unknown as { _getActiveHandles(): object[]; _getActiveRequests(): object[] }
      const names = (xs: object[]): string => xs.map((x) => x.constructor.name).join(', ')
      reject(new Error(`lading ${argv.join(' ')} did not finish in 90 s; handles: ${names(p._getActiveHandles())}; requests: ${names(p._getActiveRequests())}; stderr so far:\n${err}`))
    }, 90_000)
  })
  const code = await Promise.race([main(argv, { stdout, stderr }), watchdog]).finally(() => clearTimeout(timer))
  const stdoutBytes = Buffer.concat(out)
  return { code, stdout: stdoutBytes.toString(), stderr: err, stdoutBytes }
}

/** Path of bin/lading. */
export const LADING_BIN = fileURLToPath(new URL('../../bin/lading', import.meta.url))

/** Runs bin/lading as a child process (the compiled CLI, as users run it). */
export function runBin(argv: string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(LADING_BIN, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** The test's environment without the test runner's loader hooks (they break a plain node child). */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  for (const k of Object.keys(env)) {
    if (k === 'NODE_OPTIONS' || k.startsWith('TAP') || k.startsWith('_TAPJS') || k === 'TS_NODE_PROJECT') delete env[k]
  }
  return env
}
