// Plans where the SBOM files buildpacks wrote are copied under `<layers>/sbom/` after the build.
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
 * Returns where each buildpack-written SBOM file goes (cnb-spec.md §3.6, lifecycle rules), in
 * group order: a launch layer's (or `launch.sbom.*`) → `sbom/launch/<id>/[<layer>/]sbom.<ext>`; any
 * other layer's (or `build.sbom.*`) → `sbom/build/<id>/[<layer>/]`; a cache layer's also →
 * `sbom/cache/<id>/<layer>/`. SBOM files of names without a layer toml are ignored.
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
      // As the lifecycle: launch layers' SBOMs go to launch, every other layer's to build, and cached
      // layers' also to cache (so they can be restored with the layer).
      const kinds: SbomCopy['kind'][] = [l.types.launch ? 'launch' : 'build']
      if (l.types.cache) kinds.push('cache')
      for (const kind of kinds) {
        for (const f of l.sbomFiles) out.push({ from: f.path, to: `sbom/${kind}/${id}/${l.name}/sbom.${f.ext}`, kind })
      }
    }
    for (const f of own.build) out.push({ from: f.path, to: `sbom/build/${id}/sbom.${f.ext}`, kind: 'build' })
  }
  return out
}
