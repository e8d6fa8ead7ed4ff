// Finds buildpacks on disk and looks them up by id and version (semver, highest wins).
import { readdir, realpath } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { readBuildpackDescriptor, type BuildpackDescriptor } from './descriptor.js'
import { isDir } from './dir-list.js'
import { BuildpackAmbiguousError, BuildpackNotFoundError } from './errors.js'

/** Finds buildpacks by id and version among those discovered on disk. */
export interface BuildpackStore {
  /** Every descriptor known, sorted by id then version. */
  all(): readonly BuildpackDescriptor[]
  /**
   * Returns the buildpack `id@version`; with no version, the only one with that id or the highest
   * semver. Throws BuildpackNotFoundError, or BuildpackAmbiguousError (listing the versions) when the
   * newest cannot be told (non-semver versions, or the same id@version in two directories).
   */
  lookup(id: string, version?: string): BuildpackDescriptor
  /** Reads the buildpack in `dir` (once per real path), adds it to the store and returns it. */
  fromDir(dir: string): Promise<BuildpackDescriptor>
}

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/

/** Compares two semver strings (prerelease sorts before release); undefined when either is not semver. */
export function compareSemver(a: string, b: string): number | undefined {
  const x = SEMVER.exec(a)
  const y = SEMVER.exec(b)
  if (!x || !y) return undefined
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i])
    if (d !== 0) return d
  }
  const px = x[4]
  const py = y[4]
  if (px === py) return 0
  if (px === undefined) return 1
  if (py === undefined) return -1
  const ax = px.split('.')
  const ay = py.split('.')
  for (let i = 0; i < Math.max(ax.length, ay.length); i++) {
    const s = ax[i]
    const t = ay[i]
    if (s === undefined) return -1
    if (t === undefined) return 1
    const ns = /^\d+$/.test(s)
    const nt = /^\d+$/.test(t)
    if (ns && nt && Number(s) !== Number(t)) return Number(s) - Number(t)
    if (ns !== nt) return ns ? -1 : 1
    if (s !== t) return s < t ? -1 : 1
  }
  return 0
}

class DirBuildpackStore implements BuildpackStore {
  private readonly byDir = new Map<string, BuildpackDescriptor>()

  add(key: string, d: BuildpackDescriptor): void {
    this.byDir.set(key, d)
  }

  all(): readonly BuildpackDescriptor[] {
    return [...this.byDir.values()].sort((a, b) =>
      a.id !== b.id ? (a.id < b.id ? -1 : 1) : (compareSemver(a.version, b.version) ?? (a.version < b.version ? -1 : 1)))
  }

  lookup(id: string, version?: string): BuildpackDescriptor {
    const all = this.all()
    const same = all.filter((d) => d.id === id)
    const hits = version === undefined ? same : same.filter((d) => d.version === version)
    if (hits.length === 0) {
      throw new BuildpackNotFoundError(id, version, (same.length ? same : all).map((d) => `${d.id}@${d.version}`))
    }
    if (hits.length === 1) return hits[0] as BuildpackDescriptor
    const versions = hits.map((d) => d.version)
    if (new Set(versions).size !== versions.length) {
      throw new BuildpackAmbiguousError(id, hits.map((d) => `${d.id}@${d.version} in ${d.dir}`), 'found in several directories')
    }
    let best = hits[0] as BuildpackDescriptor
    for (const d of hits.slice(1)) {
      const c = compareSemver(d.version, best.version)
      if (c === undefined) throw new BuildpackAmbiguousError(id, versions, 'versions are not all semver')
      if (c > 0) best = d
    }
    return best
  }

  async fromDir(dir: string): Promise<BuildpackDescriptor> {
    // Keyed by real path, so a buildpack reached through a symlink is still one buildpack.
    const key = await realpath(dir).catch(() => resolve(dir))
    const known = this.byDir.get(key)
    if (known) return known
    const d = await readBuildpackDescriptor(dir)
    this.add(key, d)
    return d
  }
}

/** Returns an empty store; buildpacks join it through `fromDir`. */
export function createBuildpackStore(): BuildpackStore {
  return new DirBuildpackStore()
}

/**
 * Walks `rootDir` (at most `maxDepth` levels, following symlinked directories) and returns a store
 * holding every directory that contains a buildpack.toml; such a directory is not searched further.
 * A malformed buildpack.toml fails the whole call, naming the file, unless `onError` is given: then
 * that buildpack is left out and reported (one broken buildpack in a shared directory should not
 * stop builds that never use it).
 */
export async function findBuildpacks(rootDir: string, opts: { maxDepth?: number; onError?: (dir: string, err: Error) => void } = {}): Promise<BuildpackStore> {
  const store = new DirBuildpackStore()
  const maxDepth = opts.maxDepth ?? 4
  const walk = async (dir: string, depth: number): Promise<void> => {
    const names = (await readdir(dir)).sort()
    if (names.includes('buildpack.toml')) {
      try {
        await store.fromDir(dir)
      } catch (err) {
        if (!opts.onError) throw err
        opts.onError(dir, err as Error)
      }
      return
    }
    if (depth >= maxDepth) return
    for (const n of names) {
      if (n.startsWith('.') || n === 'node_modules') continue
      const p = join(dir, n)
      if (await isDir(p)) await walk(p, depth + 1)
    }
  }
  await walk(rootDir, 0)
  return store
}
