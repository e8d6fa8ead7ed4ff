import { spawn } from 'node:child_process'
import { FixtureError } from './fixture-error.js'

/** Result of one finished tool invocation. */
export interface ToolResult { stdout: string; stderr: string; code: number }

/** Options for {@link runTool}. */
export interface RunToolOptions {
  input?: string | Uint8Array
  env?: Record<string, string>
  cwd?: string
  /** Kill the tool after this long (default 120 s) so a hung tool cannot hang the suite. */
  timeoutMs?: number
}

/**
 * Runs `cmd args` without a shell and resolves with its output and exit code (never rejects on a
 * non-zero exit; rejects with ERR_FIXTURE_TOOL_SPAWN when the tool cannot be started).
 */
export function runTool(cmd: string, args: readonly string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
      killSignal: 'SIGKILL',
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => reject(new FixtureError('ERR_FIXTURE_TOOL_SPAWN', `cannot run ${cmd}: ${e.message}`, { cause: e })))
    child.on('close', (code, signal) => {
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      })
    })
    child.stdin.on('error', () => { /* tool exited before reading its input; its exit code tells */ })
    child.stdin.end(opts.input ?? '')
  })
}

/**
 * Runs a tool like {@link runTool} and returns its stdout; rejects with ERR_FIXTURE_TOOL_FAILED
 * (message = command line + stderr tail) when it exits non-zero.
 */
export async function runToolOk(cmd: string, args: readonly string[], opts: RunToolOptions = {}): Promise<string> {
  const r = await runTool(cmd, args, opts)
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-10).join('\n')
    // Credentials passed as flags (skopeo/podman --creds) stay out of error messages.
    const shown = args.map((a, i) => (/^--(?:[a-z]+-)?creds$/.test(args[i - 1] ?? '') ? '***' : a))
    throw new FixtureError('ERR_FIXTURE_TOOL_FAILED', `${cmd} ${shown.join(' ')} exited ${r.code}: ${tail}`)
  }
  return r.stdout
}
