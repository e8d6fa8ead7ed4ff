import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem, release } from 'node:os'

/** Result of one timed child process. */
export interface ChildRun { ms: number; code: number | null; peakRssMiB: number; stdout: string; stderr: string }

/**
 * Runs a command and returns its wall time and peak resident memory. Peak RSS is the kernel's
 * high-water mark (VmHWM), sampled until the process exits; the last sample is the peak.
 */
export function timeChild(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let peakKiB = 0
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]))
      } catch {
        // the process is gone; keep the last sample
      }
    }
    const timer = setInterval(sample, 20)
    child.on('error', (err) => {
      clearInterval(timer)
      reject(err)
    })
    child.on('exit', (code) => {
      clearInterval(timer)
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      resolve({ ms, code, peakRssMiB: Math.round(peakKiB / 1024), stdout, stderr })
    })
  })
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** What machine a number was measured on. */
export function machine(): Record<string, unknown> {
  const c = cpus()
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version }
}
