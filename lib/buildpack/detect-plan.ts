// Parses the build plan a bin/detect writes (provides, requires, `[[or]]` alternatives).
import { errorsFor, optString, optTable, optTableArray, parseTomlTable, type FileErrorFactory, type Table } from './toml-fields.js'

/** A `[[provides]]` entry of a detect plan. */
export interface PlanProvide {
  name: string
}

/** A `[[requires]]` entry: a dependency name with free-form metadata. */
export interface PlanRequire {
  name: string
  metadata?: Table
}

/** One (provides, requires) option. */
export interface PlanSections {
  provides: PlanProvide[]
  requires: PlanRequire[]
}

/** The build plan a bin/detect wrote: the top-level option, then each `[[or]]` alternative. */
export interface DetectPlan extends PlanSections {
  or: PlanSections[]
}

/** The plan of a buildpack that wrote nothing. */
export const EMPTY_DETECT_PLAN: DetectPlan = Object.freeze({ provides: [], requires: [], or: [] }) as DetectPlan

function parseSections(t: Table, fail: FileErrorFactory, prefix: string): PlanSections {
  const provides = optTableArray(t, 'provides', fail, `${prefix}provides`).map((p, i) => {
    const name = optString(p, 'name', fail, `${prefix}provides[${i}].name`)
    if (!name) throw fail(`${prefix}provides[${i}].name`, 'is required')
    return { name }
  })
  const requires = optTableArray(t, 'requires', fail, `${prefix}requires`).map((r, i) => {
    const k = `${prefix}requires[${i}]`
    const name = optString(r, 'name', fail, `${k}.name`)
    if (!name) throw fail(`${k}.name`, 'is required')
    // The lifecycle rejects a top-level version: it belongs in [requires.metadata].
    if (r['version'] !== undefined) throw fail(`${k}.version`, 'top-level version is not allowed; use [requires.metadata] version')
    const req: PlanRequire = { name }
    const metadata = optTable(r, 'metadata', fail, `${k}.metadata`)
    if (metadata) req.metadata = metadata
    return req
  })
  return { provides, requires }
}

/**
 * Parses the TOML a bin/detect wrote to CNB_BUILD_PLAN_PATH (empty text = empty plan). Throws
 * BuildpackFileError (ERR_BUILDPACK_PLAN) naming `path` for bad TOML, a missing name, or a
 * top-level `version` in a require.
 */
export function parseDetectPlan(text: string, path = 'plan.toml'): DetectPlan {
  const fail = errorsFor('ERR_BUILDPACK_PLAN', path)
  const root = parseTomlTable(text, fail)
  const top = parseSections(root, fail, '')
  const or = optTableArray(root, 'or', fail).map((o, i) => parseSections(o, fail, `or[${i}].`))
  return { ...top, or }
}
