// What `lading build` builds with: the buildpacks and order chosen from flags or project.toml, and --env.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import {
  createBuildpackStore, findBuildpacks, writeInlineBuildpack, type BuildpackStore, type OrderInput, type OrderRef,
} from '../buildpack/index.js'
import { readOrderFile, type ProjectBuildpack, type ProjectDescriptor } from '../platform/index.js'
import { isDir } from '../fs-checks.js'
import { UsageError } from './args.js'
import { definedOnly } from '../defined.js'

/** The buildpacks a build may use and the order to detect with. */
export interface BuildpackChoice { store: BuildpackStore; order: OrderInput; source: string }

/** Splits `ID[@VERSION]`. */
function parseIdVersion(s: string): OrderRef {
  const at = s.lastIndexOf('@')
  return at > 0 ? { id: s.slice(0, at), version: s.slice(at + 1) } : { id: s }
}

/** Inputs of chooseBuildpacks. */
export interface ChooseBuildpacksInput {
  buildpacks: string[]
  buildpacksDir?: string
  orderFile?: string
  appDir: string
  project?: ProjectDescriptor
  /** Where inline buildpacks (project.toml `script`) are written; asked for only when the project has any. */
  scratchDir?: () => Promise<string>
  onSkipped?: (msg: string) => void
  /** The store to add to (a builder's); default: a new one (or --buildpacks-dir's). */
  store?: BuildpackStore
  /** Resolves forms beyond DIR and ID[@VERSION] (buildpackages, `urn:cnb:builder:`); undefined = not such a form. */
  external?: (spec: string, store: BuildpackStore) => Promise<OrderRef | undefined>
  /** The builder's order (its buildpacks fetched on the call): used when nothing else names buildpacks, and for `from=builder`. */
  builderOrder?: () => Promise<OrderInput>
  /** The message when no buildpacks are named at all. */
  noneMessage?: string
}

/**
 * Resolves where the buildpacks come from (as pack does): `--buildpack` flags form the single
 * group, in order (a directory holding buildpack.toml, or ID[@VERSION] found under
 * --buildpacks-dir); else `--order FILE`; else the group in the app's project.toml (ids, `uri`s
 * relative to the app, or inline scripts). project.toml's pre and post groups (schema 0.2) wrap
 * every group of whichever order was chosen. Composites' members are looked up in the same store.
 */
export async function chooseBuildpacks(o: ChooseBuildpacksInput): Promise<BuildpackChoice> {
  const onError = (_dir: string, err: Error): void => o.onSkipped?.(`skipped buildpack: ${err.message}`)
  const store = o.store ?? (o.buildpacksDir ? await findBuildpacks(resolve(o.buildpacksDir), { onError }) : createBuildpackStore())
  const refFor = async (spec: string, base: string): Promise<OrderRef> => {
    const ext = await o.external?.(spec, store)
    if (ext) return ext
    const dir = resolve(base, spec)
    if (await isDir(dir)) {
      const d = await store.fromDir(dir)
      return { id: d.id, version: d.version }
    }
    const ref = parseIdVersion(spec)
    try {
      store.lookup(ref.id, ref.version) // fails now, naming the buildpack, rather than mid-detect
    } catch (err) {
      // An id the builder has (as pack resolves project.toml ids against the builder).
      const fromBuilder = o.builderOrder ? await o.external?.(`urn:cnb:builder:${spec}`, store).catch(() => undefined) : undefined
      if (!fromBuilder) throw err
      return fromBuilder
    }
    return ref
  }
  const fromProject = async (list: readonly ProjectBuildpack[], key: string): Promise<OrderRef[]> => {
    const group: OrderRef[] = []
    for (const [i, b] of list.entries()) {
      if (b.script && b.id) {
        if (!o.scratchDir) throw new Error('inline buildpacks need a scratch directory')
        const source = { file: join(o.appDir, 'project.toml'), key: `${key}[${i}]` }
        group.push(await refFor(await writeInlineBuildpack(await o.scratchDir(), definedOnly({ id: b.id, script: b.script, version: b.version || undefined }), source), o.appDir))
      } else if (b.uri) {
        group.push(await refFor(b.uri.replace(/^file:\/\//, ''), o.appDir))
      } else if (b.id) {
        group.push(await refFor(b.version ? `${b.id}@${b.version}` : b.id, o.appDir))
      } else {
        throw new UsageError(`project.toml ${key}[${i}] names a buildpack with neither id nor uri`, 'build')
      }
    }
    return group
  }
  const p = o.project
  const keys = p?.schemaVersion === '0.1' ? { group: 'build.buildpacks' } : { group: 'io.buildpacks.group' }
  const pre = p ? await fromProject(p.pre, 'io.buildpacks.pre.group') : []
  const post = p ? await fromProject(p.post, 'io.buildpacks.post.group') : []
  const wrap = (order: OrderInput): OrderInput => pre.length + post.length === 0 ? order : order.map((g) => ({ ...g, group: [...pre, ...g.group, ...post] }))
  if (o.buildpacks.length > 0) {
    const at = o.buildpacks.indexOf('from=builder')
    if (at >= 0 && o.builderOrder) {
      // pack: the builder's order, each group with the other --buildpack values around it.
      const before: OrderRef[] = []
      const after: OrderRef[] = []
      for (const [i, b] of o.buildpacks.entries()) if (i !== at) (i < at ? before : after).push(await refFor(b, process.cwd()))
      const order = (await o.builderOrder()).map((g) => ({ group: [...before, ...g.group, ...after] }))
      return { store, order: wrap(order), source: '--buildpack from=builder' }
    }
    if (at >= 0) throw new UsageError('--buildpack from=builder needs a builder: pass --builder REF', 'build')
    const group = []
    for (const b of o.buildpacks) group.push(await refFor(b, process.cwd()))
    return { store, order: wrap([{ group }]), source: '--buildpack' }
  }
  if (o.orderFile) {
    const { order } = await readOrderFile(resolve(o.orderFile))
    return { store, order: wrap(order), source: o.orderFile }
  }
  if (p && p.buildpacks.length > 0) {
    return { store, order: wrap([{ group: await fromProject(p.buildpacks, keys.group) }]), source: 'project.toml' }
  }
  if (o.builderOrder) return { store, order: wrap(await o.builderOrder()), source: 'builder' }
  throw new UsageError(o.noneMessage ?? 'no buildpacks: pass --buildpack DIR|ID[@VERSION], --order FILE, or list them in the app\'s project.toml', 'build')
}

/** `K=V` pairs from --env flags and --env-file files (`K=V` lines; `#` comments; a line without `=` is an error). */
export async function parseBuildEnv(flags: string[], files: string[]): Promise<Record<string, string>> {
  const env: Record<string, string> = {}
  const add = (line: string, where: string): void => {
    const i = line.indexOf('=')
    if (i <= 0) throw new UsageError(`${where}: expected NAME=VALUE, got ${JSON.stringify(line)}`, 'build')
    env[line.slice(0, i)] = line.slice(i + 1)
  }
  for (const f of files) {
    const text = await readFile(resolve(f), 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--env-file ${f}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`, 'build')
    })
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\r$/, '')
      if (line.trim() === '' || line.trimStart().startsWith('#')) continue
      add(line, `--env-file ${f}`)
    }
  }
  for (const e of flags) add(e, '--env')
  return env
}
