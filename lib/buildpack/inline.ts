/** Inline buildpacks (project.toml `[[io.buildpacks.group]]` with a `script` table, as pack runs
 * them): a buildpack whose build is a few lines in the project descriptor. It is written out as an
 * ordinary buildpack directory so detect, build, the sandbox and the labels treat it like any
 * other: detect always passes, build runs the script under the requested shell.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stringifyToml } from '../toml/index.js'
import { escapeId, validateBuildpackId } from './descriptor.js'
import { BuildpackDescriptorError } from './errors.js'

/** An inline buildpack as project.toml gives it. */
export interface InlineBuildpack {
  id: string
  version?: string
  script: { api: string; inline: string; shell: string }
}

/** Version of an inline buildpack that names none, as pack uses. */
export const INLINE_DEFAULT_VERSION = '0.0.0'

// A shell is a command plus options (`/bin/bash`, `bash -eu`): words of these characters only, so
// it can be written into bin/build without quoting questions.
const SHELL_RE = /^[A-Za-z0-9_./-]+(?: +[A-Za-z0-9_./=-]+)*$/

/**
 * Writes `bp` as a buildpack directory under `parent` and returns that directory. Problems are
 * reported against `source` (the project.toml path and key), not the generated files.
 */
export async function writeInlineBuildpack(parent: string, bp: InlineBuildpack, source: { file: string; key: string }): Promise<string> {
  const fail = (key: string | undefined, message: string): BuildpackDescriptorError =>
    new BuildpackDescriptorError(source.file, key ? `${source.key}.${key}` : source.key, message)
  validateBuildpackId(bp.id, fail, 'id')
  const shell = bp.script.shell.trim()
  if (!SHELL_RE.test(shell)) throw fail('script.shell', `${JSON.stringify(bp.script.shell)} is not a plain command (letters, digits, ./_-, space-separated options)`)
  if (bp.script.inline.trim() === '') throw fail('script.inline', 'is empty: an inline buildpack needs a script')
  const version = bp.version ?? INLINE_DEFAULT_VERSION
  const dir = join(parent, escapeId(bp.id), version)
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), stringifyToml({
    api: bp.script.api,
    buildpack: { id: bp.id, version, name: `${bp.id} (inline script from project.toml)` },
  }))
  const detect = '#!/bin/sh\n# An inline buildpack always applies: the project asked for it.\nexit 0\n'
  const build = `#!/bin/sh\n# Runs the inline script from project.toml under its shell, with the build arguments.\nexec ${shell} "\${0%/*}/inline-script" "$@"\n`
  await writeFile(join(dir, 'bin', 'detect'), detect)
  await writeFile(join(dir, 'bin', 'build'), build)
  await writeFile(join(dir, 'bin', 'inline-script'), bp.script.inline.endsWith('\n') ? bp.script.inline : `${bp.script.inline}\n`)
  await chmod(join(dir, 'bin', 'detect'), 0o755)
  await chmod(join(dir, 'bin', 'build'), 0o755)
  await chmod(join(dir, 'bin', 'inline-script'), 0o755)
  return dir
}
