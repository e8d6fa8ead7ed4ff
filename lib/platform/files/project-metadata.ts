/** `project-metadata.toml` (cnb-spec.md §9.4, an exporter input): `[source] type`,
 * `[source.version]`, `[source.metadata]`, all optional. Read into the ProjectMetadata that
 * becomes the `io.buildpacks.project.metadata` label.
 */
import type { ProjectMetadata } from '../labels/index.js'
import { type Table, at, optString, optTable, parseTomlText, plainCopy, readTomlFile } from '../../toml/index.js'

function fromDoc(doc: Table, file: string): ProjectMetadata {
  const ctx = { file, path: '' }
  const src = optTable(doc, 'source', ctx)
  if (!src) return {}
  const sc = at(ctx, 'source')
  return {
    source: {
      type: optString(src, 'type', sc) ?? '',
      version: plainCopy(optTable(src, 'version', sc) ?? {}) as Record<string, unknown>,
      metadata: plainCopy(optTable(src, 'metadata', sc) ?? {}) as Record<string, unknown>,
    },
  }
}

/** Parses project-metadata.toml text; throws PlatformFileError naming the file and key. */
export function parseProjectMetadata(text: string, file = 'project-metadata.toml'): ProjectMetadata {
  return fromDoc(parseTomlText(text, file), file)
}

/** Reads project-metadata.toml at `path`; a missing file gives `{}` (the label is then `{}`). */
export async function readProjectMetadataFile(path: string): Promise<ProjectMetadata> {
  const doc = await readTomlFile(path, true)
  return doc === undefined ? {} : fromDoc(doc, path)
}
