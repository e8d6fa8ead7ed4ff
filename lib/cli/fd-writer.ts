/** The CLI process's stdout and stderr as plain writes to file descriptors 1 and 2: Node's own
 * process.stdout/stderr load the stream, net and tty machinery (~30 built-in modules, a few ms)
 * on first use, a large share of a one-off command such as `lading --version`.
 */
import { fstatSync, writeSync } from 'node:fs'

/** What the CLI writes to: a writer's `write`, and whether it is a terminal (for progress lines). */
export interface FdStream { write(chunk: string | Uint8Array): unknown; isTTY?: boolean; columns?: number }

/**
 * Writes synchronously, as Node itself writes to files, terminals and (on Linux) pipes. A
 * descriptor left non-blocking by another process (EAGAIN) hands over to Node's stream for the
 * rest; a reader that went away (EPIPE) or a closed descriptor ends the output quietly.
 */
export class FdWriter implements FdStream {
  #stream: NodeJS.WriteStream | undefined
  #gone = false
  #tty: boolean | undefined

  /** `node`: Node's stream for the same descriptor, used only after an EAGAIN and for a terminal's width. */
  constructor(readonly fd: number, private readonly node: () => NodeJS.WriteStream) {}

  /** A terminal is a character device; only then is Node's tty module asked (as /dev/null is one too). */
  get isTTY(): boolean {
    if (this.#tty === undefined) {
      let chr = false
      try {
        chr = fstatSync(this.fd).isCharacterDevice()
      } catch {
        // a closed descriptor is no terminal
      }
      this.#tty = chr && process.getBuiltinModule('node:tty').isatty(this.fd)
    }
    return this.#tty
  }

  get columns(): number | undefined {
    return this.isTTY ? this.node().columns : undefined
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#gone) return true
    if (this.#stream) return this.#stream.write(chunk)
    let rest = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(this.fd, rest))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          this.#gone = true
          return true
        }
        this.#stream = this.node()
        return this.#stream.write(rest)
      }
    }
    return true
  }

  /** Calls `done` once everything written has left the process. */
  flush(done: () => void): void {
    if (this.#stream) this.#stream.write('', done)
    else done()
  }
}
