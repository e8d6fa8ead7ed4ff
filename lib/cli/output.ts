/** Human and script output of the CLI: stdout data, stderr lines, live transfer progress, byte and rate formats. */
import type { TransferEvent } from '../oci/index.js'
import type { FdStream } from './fd-writer.js'

/** Where a command writes: data to stdout, human lines to stderr (streams, or file descriptors). */
export interface CliIo {
  stdout: FdStream
  stderr: FdStream
}

/** Formats a byte count the way registries' users read them (1024-based, one decimal, whole bytes). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  if (!Number.isFinite(n)) return '? B'
  let v = Math.max(0, n)
  let i = 0
  // Round before choosing the unit so 1023.96 B shows as "1.0 KiB", not "1024 B".
  while (i < units.length - 1 && (i === 0 ? Math.round(v) : Number(v.toFixed(1))) >= 1024) {
    v /= 1024
    i++
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[i]}`
}

/** A transfer rate from bytes and seconds: `81 B/s`, `1.2 MiB/s` (rates are fractions; they never print as such). */
export function formatRate(bytes: number, secs: number): string {
  return `${formatBytes(bytes / Math.max(secs, 0.001))}/s`
}

const short = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12)

/**
 * Human output. Progress redraws one line per blob on a TTY; elsewhere each blob gets one
 * plain line when it finishes (CI logs stay readable and greppable). `--quiet` keeps only
 * errors; `--json` keeps stdout for the one JSON document.
 */
export class Output {
  readonly #io: CliIo
  readonly #quiet: boolean
  #isTty: boolean | undefined
  readonly #active = new Map<string, { ev: TransferEvent; start: number }>()
  #drawn = 0
  #lastDraw = 0

  constructor(io: CliIo, opts: { quiet?: boolean; json?: boolean; verbose?: boolean }) {
    this.#io = io
    this.#quiet = Boolean(opts.quiet)
    this.verbose = Boolean(opts.verbose) && !this.#quiet
  }

  /** Asked on the first line or progress event: a command that prints only data never asks. */
  get #tty(): boolean {
    this.#isTty ??= Boolean(this.#io.stderr.isTTY) && !this.#quiet
    return this.#isTty
  }

  readonly verbose: boolean

  /** A line of information for people (stderr), dropped with --quiet. */
  info(line: string): void {
    if (this.#quiet) return
    this.#clear()
    this.#io.stderr.write(`${line}\n`)
    this.#redraw()
  }

  /** A debug line, only with --verbose. */
  debug(line: string): void {
    if (this.verbose) this.info(line)
  }

  /** Data for scripts (stdout), never dropped. */
  data(text: string | Uint8Array): void {
    this.#io.stdout.write(text)
  }

  /** A warning (stderr), kept even with --quiet. */
  warn(line: string): void {
    this.#clear()
    this.#io.stderr.write(`warning: ${line}\n`)
    this.#redraw()
  }

  /** Receives transfer events from push/copy. */
  readonly progress = (ev: TransferEvent): void => {
    if (this.#quiet) return
    const prev = this.#active.get(ev.digest)
    const start = prev?.start ?? Date.now()
    if (ev.done || ev.kind === 'exists' || ev.kind === 'mount' || ev.kind === 'skip') {
      this.#active.delete(ev.digest)
      this.info(this.#finalLine(ev, start))
      return
    }
    this.#active.set(ev.digest, { ev, start })
    // Redraw at most ten times a second: events arrive per chunk.
    if (this.#tty && Date.now() - this.#lastDraw >= 100) {
      this.#lastDraw = Date.now()
      this.#clear()
      this.#redraw()
    }
  }

  #finalLine(ev: TransferEvent, start: number): string {
    const secs = Math.max((Date.now() - start) / 1000, 0.001)
    switch (ev.kind) {
      case 'exists': return `${short(ev.digest)}: already exists (${formatBytes(ev.bytes)})`
      case 'mount': return `${short(ev.digest)}: mounted (${formatBytes(ev.bytes)})`
      case 'skip': return `${short(ev.digest)}: skipped`
      case 'download': return `${short(ev.digest)}: downloaded ${formatBytes(ev.bytes)} (${formatRate(ev.bytes, secs)})`
      default: return ev.total !== undefined && ev.bytes < ev.total
        ? `${short(ev.digest)}: pushed ${formatBytes(ev.bytes)} of ${formatBytes(ev.total)} (${formatRate(ev.bytes, secs)}; the rest was in an interrupted run's upload session)`
        : `${short(ev.digest)}: pushed ${formatBytes(ev.bytes)} (${formatRate(ev.bytes, secs)})`
    }
  }

  #clear(): void {
    if (!this.#tty || this.#drawn === 0) return
    this.#io.stderr.write(`\x1b[${this.#drawn}A\x1b[J`)
    this.#drawn = 0
  }

  #redraw(): void {
    if (!this.#tty) return
    const lines: string[] = []
    for (const { ev, start } of this.#active.values()) {
      const secs = Math.max((Date.now() - start) / 1000, 0.001)
      const total = ev.total ? ` / ${formatBytes(ev.total)}` : ''
      const verb = ev.kind === 'download' ? 'downloading' : 'pushing'
      lines.push(`${short(ev.digest)}: ${verb} ${formatBytes(ev.bytes)}${total} (${formatRate(ev.bytes, secs)})`)
    }
    if (lines.length) this.#io.stderr.write(`${lines.join('\n')}\n`)
    this.#drawn = lines.length
  }
}
