/** Which run image each app repository was last rebased onto, kept on this machine: the next lone
 * rebase of that app reads the run image while the app's manifest is still on its way (one round
 * trip instead of two before the writes). A guess only: the label still decides, and a wrong
 * guess costs one read. Best effort: never throws; a missing or damaged file is no hints.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Apps remembered; past this the least recently rebased are forgotten. */
export const MAX_RUN_IMAGE_HINTS = 1024

interface Entry { runImage: string; at: number }
interface FileShape { version: 1; apps: Record<string, Entry> }

/** See the file comment. `app` keys are `registry/repository`. */
export class RunImageHints {
  readonly #apps: Map<string, Entry>

  private constructor(readonly file: string, apps: Map<string, Entry>, readonly now: () => number) {
    this.#apps = apps
  }

  /** Reads `file` (one small synchronous read: this runs before a lone rebase's first request). */
  static open(file: string, now: () => number = Date.now): RunImageHints {
    return new RunImageHints(file, read(file), now)
  }

  /** The run image `app` was last rebased onto, if this machine did that. */
  get(app: string): string | undefined {
    return this.#apps.get(app)?.runImage
  }

  /** Records `runImage` for `app`; writes the file only when the answer changed. */
  set(app: string, runImage: string): void {
    if (this.#apps.get(app)?.runImage === runImage) return
    this.#apps.set(app, { runImage, at: this.now() })
    // Other processes (a CI job's parallel rebases) may have written since open: theirs are kept.
    const all = read(this.file)
    for (const [k, e] of this.#apps) if ((all.get(k)?.at ?? -1) <= e.at) all.set(k, e)
    const kept = [...all.entries()].sort((a, b) => b[1].at - a[1].at).slice(0, MAX_RUN_IMAGE_HINTS)
    const body: FileShape = { version: 1, apps: Object.fromEntries(kept) }
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 })
      writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: 0o600 })
      renameSync(tmp, this.file)
    } catch {
      try {
        rmSync(tmp, { force: true })
      } catch {
        // Nothing was written.
      }
    }
  }
}

function read(file: string): Map<string, Entry> {
  const apps = new Map<string, Entry>()
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<FileShape>
    if (v?.version === 1 && v.apps && typeof v.apps === 'object') {
      for (const [k, e] of Object.entries(v.apps)) {
        if (typeof e?.runImage === 'string' && e.runImage && typeof e.at === 'number') apps.set(k, { runImage: e.runImage, at: e.at })
      }
    }
  } catch {
    // No file yet, or not ours to read: no hints.
  }
  return apps
}
