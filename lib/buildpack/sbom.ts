import { join } from 'node:path'
import { escapeId } from './descriptor.js'
import { readBuildpackSbomFiles, readLayersDir } from './layer-metadata.js'

/** One SBOM file to copy into `<layers>/sbom/` after the build. */
export interface SbomCopy {
  /** Host path of the buildpack-written file. */
  from: string
  /** Path relative to `<layers>`, e.g. `sbom/launch/acme_node/runtime/sbom.cdx.json`. */
  to: string
  kind: 'launch' | 'build' | 'cache'
}

/**
 * Returns where each buildpack-written SBOM file goes (cnb-spec.md §3.6), in group order: a launch
 * layer's (or `launch.sbom.*`) → `sbom/launch/<id>/[<layer>/]sbom.<ext>`; a cache layer's →
 * `sbom/cache/<id>/<layer>/`; a build layer's that is not cached (or `build.sbom.*`) →
 * `sbom/build/<id>/[<layer>/]`. A file may go to several places; all-false layers are dropped.
 * The caller wipes `<layers>/sbom/` first and copies.
 */
export async function planSbomCopies(layersDir: string, group: readonly { id: string }[]): Promise<SbomCopy[]> {
  const out: SbomCopy[] = []
  for (const bp of group) {
    const id = escapeId(bp.id)
    const dir = join(layersDir, id)
    const own = await readBuildpackSbomFiles(dir)
    for (const f of own.launch) out.push({ from: f.path, to: `sbom/launch/${id}/sbom.${f.ext}`, kind: 'launch' })
    for (const l of await readLayersDir(dir)) {
      const { launch, build, cache } = l.types
      const kinds: SbomCopy['kind'][] = []
      if (launch) kinds.push('launch')
      // Cached layers keep their SBOM under cache/ so it can be restored with the layer.
      if (cache) kinds.push('cache')
      if (build && !cache) kinds.push('build')
      for (const kind of kinds) {
        for (const f of l.sbomFiles) out.push({ from: f.path, to: `sbom/${kind}/${id}/${l.name}/sbom.${f.ext}`, kind })
      }
    }
    for (const f of own.build) out.push({ from: f.path, to: `sbom/build/${id}/sbom.${f.ext}`, kind: 'build' })
  }
  return out
}
