/** The error every TOML file reader throws: which file, which key, what is wrong. */
import { LadingError } from '../errors.js'

/**
 * A TOML file (a platform file such as order.toml, group.toml, project.toml, run.toml, analyzed.toml) that is not
 * valid TOML or has a key of the wrong shape. `file` names the file as given by the caller and
 * `key` the dotted key path (e.g. `order[1].group[0].id`), empty for whole-file problems.
 */
export class TomlFileError extends LadingError {
  constructor(readonly file: string, readonly key: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_PLATFORM_FILE_INVALID', `${file}: ${key ? `key "${key}": ` : ''}${detail}`, options)
  }
}
