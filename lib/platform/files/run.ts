/** `run.toml` (cnb-spec.md §9.3): the run images a build may use, each with mirrors; and the
 * legacy `stack.toml` (`[run-image] image, mirrors`, Platform < 0.12) read into the same shape.
 */
import {
  type Table, at, optString, optStringArray, optTable, parseTomlText, readTomlFile, reqString, stringifyToml, tableArray,
} from '../../toml/index.js'

/** One run image with its mirrors (image names as written, usually tag references). */
export interface RunImageEntry {
  image: string
  mirrors: string[]
}

/** A parsed run.toml (or stack.toml converted): `images` in file order. */
export interface RunFile {
  images: RunImageEntry[]
}

function runFromDoc(doc: Table, file: string): RunFile {
  return {
    images: tableArray(doc, 'images', { file, path: '' }).map(({ table, ctx }) => ({
      image: reqString(table, 'image', ctx),
      mirrors: optStringArray(table, 'mirrors', ctx) ?? [],
    })),
  }
}

/** Parses run.toml text; throws PlatformFileError naming `file` and the key. */
export function parseRun(text: string, file = 'run.toml'): RunFile {
  return runFromDoc(parseTomlText(text, file), file)
}

function stackFromDoc(doc: Table, file: string): RunFile {
  const ctx = { file, path: '' }
  const run = optTable(doc, 'run-image', ctx)
  if (!run) return { images: [] }
  const rc = at(ctx, 'run-image')
  const image = optString(run, 'image', rc)
  if (!image) return { images: [] }
  return { images: [{ image, mirrors: optStringArray(run, 'mirrors', rc) ?? [] }] }
}

/** Parses legacy stack.toml text into a RunFile (one entry, or none when `[run-image]` is empty). */
export function parseStack(text: string, file = 'stack.toml'): RunFile {
  return stackFromDoc(parseTomlText(text, file), file)
}

/** Returns run.toml text: `[[images]]` with image and mirrors (always written, possibly empty). */
export function stringifyRun(run: RunFile): string {
  return stringifyToml({ images: run.images.map((i) => ({ image: i.image, mirrors: [...i.mirrors] })) })
}

/**
 * Reads run image metadata as the lifecycle does: `runPath` (run.toml) when it exists, else
 * `stackPath` (legacy stack.toml) when given and it exists, else `{ images: [] }`. Throws
 * PlatformFileError when an existing file is invalid.
 */
export async function readRunFile(runPath: string, stackPath?: string): Promise<RunFile> {
  const run = await readTomlFile(runPath, true)
  if (run !== undefined) return runFromDoc(run, runPath)
  if (stackPath === undefined) return { images: [] }
  const stack = await readTomlFile(stackPath, true)
  return stack === undefined ? { images: [] } : stackFromDoc(stack, stackPath)
}
