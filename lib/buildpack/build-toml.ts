// Parses build.toml, the plan entries a buildpack left unmet for the buildpacks after it.
import { errorsFor, optString, optTableArray, parseTomlTable } from './toml-fields.js'

/** A parsed build.toml: the plan entries the buildpack left for later buildpacks. */
export interface BuildToml {
  unmet: string[]
}

/**
 * Parses build.toml; every `[[unmet]] name` must name an entry of the buildpack's plan
 * (`planEntryNames`). Throws BuildpackFileError (ERR_BUILDPACK_BUILD_TOML) naming `path` otherwise.
 * A legacy `bom` array is accepted and ignored.
 */
export function parseBuildToml(text: string, path: string, planEntryNames: readonly string[]): BuildToml {
  const fail = errorsFor('ERR_BUILDPACK_BUILD_TOML', path)
  const root = parseTomlTable(text, fail)
  const unmet = optTableArray(root, 'unmet', fail).map((u, i) => {
    const name = optString(u, 'name', fail, `unmet[${i}].name`)
    if (!name) throw fail(`unmet[${i}].name`, 'is required')
    if (!planEntryNames.includes(name)) {
      throw fail(`unmet[${i}].name`, `${JSON.stringify(name)} is not an entry of this buildpack's plan`)
    }
    return name
  })
  return { unmet }
}
