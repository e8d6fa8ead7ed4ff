/** The buildpacks of a `buildpacks = [...]` entry: directories (relative to the fleet file) and
 * `ID[@VERSION]`s found under --buildpacks-dir, as `lading build --buildpack` reads them. Each
 * distinct list is read once per run, however many images share it.
 */
import { resolve } from 'node:path'
import { createBuildpackStore, findBuildpacks, type BuildpackStore, type OrderInput, type OrderRef } from '../buildpack/index.js'
import { isDir } from '../fs-checks.js'

/** A resolved buildpack list: the store to build from, the single-group order, every id's versions. */
export interface ResolvedBuildpacks {
  store: BuildpackStore
  order: OrderInput
  /** id → versions available now (what BUILDPACK compares the image's recorded versions with). */
  versions: Map<string, Set<string>>
}

/** Resolves and caches buildpack lists. */
export class BuildpackLists {
  readonly #lists = new Map<string, Promise<ResolvedBuildpacks>>()
  constructor(readonly baseDir: string, readonly buildpacksDir?: string) {}

  get(specs: readonly string[]): Promise<ResolvedBuildpacks> {
    const key = JSON.stringify(specs)
    let p = this.#lists.get(key)
    if (!p) {
      p = this.#resolve(specs)
      this.#lists.set(key, p)
    }
    return p
  }

  async #resolve(specs: readonly string[]): Promise<ResolvedBuildpacks> {
    const store = this.buildpacksDir ? await findBuildpacks(resolve(this.baseDir, this.buildpacksDir)) : createBuildpackStore()
    const group: OrderRef[] = []
    for (const spec of specs) {
      const dir = resolve(this.baseDir, spec)
      if (await isDir(dir)) {
        const d = await store.fromDir(dir)
        group.push({ id: d.id, version: d.version })
        continue
      }
      const at = spec.lastIndexOf('@')
      const ref = at > 0 ? { id: spec.slice(0, at), version: spec.slice(at + 1) } : { id: spec }
      const d = store.lookup(ref.id, ref.version) // throws naming the buildpack when it is not there
      group.push({ id: d.id, version: d.version })
    }
    const versions = new Map<string, Set<string>>()
    for (const d of store.all()) {
      if (!versions.has(d.id)) versions.set(d.id, new Set())
      versions.get(d.id)!.add(d.version)
    }
    return { store, order: [{ group }], versions }
  }
}
