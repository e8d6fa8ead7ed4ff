/** `io.buildpacks.project.metadata` (cnb-spec.md §4.4): the JSON form of project-metadata.toml,
 * `{"source":{"type","version","metadata"}}`, or `{}` when there is none. Always set on app images.
 */
import { LABELS } from './names.js'
import { type JsonObject, LenientReader, parseLabelJson, sortedDeep } from './lenient.js'
import type { Decoded } from './lifecycle-metadata.js'

/** Where the app source came from (e.g. type "git", version {commit}, metadata {repository}). */
export interface ProjectSource {
  type: string
  version: Record<string, unknown>
  metadata: Record<string, unknown>
}

/** The project metadata; `source` absent means "no project metadata". */
export interface ProjectMetadata {
  source?: ProjectSource
}

/** Returns the label value: `{}` without a source, else `{"source":{"type","version","metadata"}}`. */
export function encodeProjectMetadata(md: ProjectMetadata | undefined): string {
  if (!md?.source) return '{}'
  const s = md.source
  // The lifecycle's ProjectSource fields are all omitempty: an empty type, version or metadata is
  // left out (JSON.stringify drops the undefined ones).
  const nonEmpty = (o: object | undefined) => o !== undefined && o !== null && Object.keys(o).length > 0
  return JSON.stringify({
    source: {
      type: s.type || undefined,
      version: nonEmpty(s.version) ? sortedDeep(s.version) : undefined,
      metadata: nonEmpty(s.metadata) ? sortedDeep(s.metadata) : undefined,
    },
  })
}

/** Decodes the label leniently; throws LabelError when `text` is not a JSON object. */
export function decodeProjectMetadata(text: string): Decoded<ProjectMetadata> {
  const o = parseLabelJson(LABELS.PROJECT_METADATA, text)
  const rd = new LenientReader(LABELS.PROJECT_METADATA)
  const src = rd.obj(o['source'], 'source')
  if (!src) return { value: {}, warnings: rd.warnings }
  const source: ProjectSource = {
    type: rd.str(src['type'], 'source.type'),
    version: rd.obj(src['version'], 'source.version') ?? ({} as JsonObject),
    metadata: rd.obj(src['metadata'], 'source.metadata') ?? ({} as JsonObject),
  }
  return { value: { source }, warnings: rd.warnings }
}
