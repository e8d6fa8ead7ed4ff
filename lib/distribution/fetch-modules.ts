/** Brings the buildpacks a build needs out of a builder or buildpackage: each needed layer is
 * downloaded once and kept unpacked under `cacheDir/<diffID hex>`, so a rebuild with the same
 * builder reads no layer bytes, and a builder that changed one buildpack costs that one layer.
 */
import { randomUUID } from 'node:crypto'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { checkBuildpackApi } from '../api-version.js'
import { createBuildpackStore, escapeId, type BuildpackStore } from '../buildpack/index.js'
import { extractLayer } from '../layer/index.js'
import { DistributionError } from './errors.js'
import { layerByDiffId, type DistributionImage, type ReachedModule } from './read-image.js'

/** What fetching cost: layers downloaded (and their compressed bytes) and layers found unpacked. */
export interface ModuleFetchStats { layersFetched: number; bytesFetched: number; layersCached: number; layers: { digest: string; bytes: number; cached: boolean }[] }

/** Adds the `modules` of `d` to `store` (a new one by default), fetching the layers not yet in `cacheDir`. */
export async function fetchModules(d: DistributionImage, modules: readonly ReachedModule[], cacheDir: string,
  store: BuildpackStore = createBuildpackStore()): Promise<{ store: BuildpackStore; stats: ModuleFetchStats }> {
  const stats: ModuleFetchStats = { layersFetched: 0, bytesFetched: 0, layersCached: 0, layers: [] }
  const unpacked = new Map<string, string>()
  for (const m of modules) {
    // A buildpack the store already has (the user's own copy of the same id@version) wins, unfetched.
    if (store.all().some((b) => b.id === m.id && b.version === m.version)) continue
    checkBuildpackApi(m.info.api, `${d.what}: buildpack ${m.id}@${m.version}`)
    const diffId = m.info.layerDiffID
    let dir = unpacked.get(diffId)
    if (!dir) {
      dir = join(cacheDir, diffId.replace(/^sha256:/, ''))
      const layer = await layerByDiffId(d, diffId, `buildpack ${m.id}@${m.version}`)
      const digest = await layer.digest()
      if (await stat(dir).catch(() => undefined)) {
        stats.layersCached++
        stats.layers.push({ digest, bytes: 0, cached: true })
      } else {
        const partial = `${dir}.partial-${process.pid}-${randomUUID()}`
        await mkdir(partial, { recursive: true })
        try {
          await extractLayer(await layer.uncompressed(), partial)
          await rename(partial, dir).catch(async (err: NodeJS.ErrnoException) => {
            // Another build unpacked the same layer first: theirs is as good as ours.
            if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err
            await rm(partial, { recursive: true, force: true })
          })
        } catch (err) {
          await rm(partial, { recursive: true, force: true })
          throw err
        }
        const bytes = await layer.size()
        stats.layersFetched++
        stats.bytesFetched += bytes
        stats.layers.push({ digest, bytes, cached: false })
      }
      unpacked.set(diffId, dir)
    }
    const bpDir = join(dir, 'cnb', 'buildpacks', escapeId(m.id), m.version)
    if (!(await stat(join(bpDir, 'buildpack.toml')).catch(() => undefined))) {
      throw new DistributionError('LAYER_CONTENT', d.what, `the layer of ${m.id}@${m.version} (${diffId}) has no /cnb/buildpacks/${escapeId(m.id)}/${m.version}/buildpack.toml`)
    }
    await store.fromDir(bpDir)
  }
  return { store, stats }
}
