// The ordered Env and the env-file rules of cnb-spec.md §3.4 (override, default, prepend, append, root dirs).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isDir, listFiles } from './dir-list.js'

/** An ordered environment: insertion order is kept so output is deterministic. */
export class Env {
  private readonly vars = new Map<string, string>()

  constructor(init?: Iterable<readonly [string, string]> | Readonly<Record<string, string | undefined>>) {
    if (!init) return
    const pairs = Symbol.iterator in init ? init : Object.entries(init)
    for (const [k, v] of pairs as Iterable<readonly [string, string | undefined]>) if (v !== undefined) this.vars.set(k, v)
  }

  /** Returns the value, or undefined when unset. */
  get(name: string): string | undefined {
    return this.vars.get(name)
  }

  /** Sets `name` (kept at its first position when it already exists). */
  set(name: string, value: string): void {
    this.vars.set(name, value)
  }

  delete(name: string): void {
    this.vars.delete(name)
  }

  has(name: string): boolean {
    return this.vars.has(name)
  }

  /** Returns an independent copy. */
  clone(): Env {
    return new Env(this.vars)
  }

  /** Returns the pairs in order. */
  entries(): [string, string][] {
    return [...this.vars]
  }

  /** Returns a plain object (for a child process's env). */
  toRecord(): Record<string, string> {
    return Object.fromEntries(this.vars)
  }
}

/** What an env file does to its variable. */
export type EnvOpKind = 'override' | 'default' | 'prepend' | 'append'

/** One environment modification, as read from an env file or implied by a layer root dir. */
export interface EnvOp {
  op: EnvOpKind
  name: string
  value: string
  /** Delimiter for prepend/append; '' when none was given (the lifecycle's default). */
  delim: string
  /** Set when the op applies to that process type only (from `env.launch/<type>/`). */
  process?: string
}

/** Applies one operation (cnb-spec.md §3.4): default sets only an empty variable; prepend/append skip the delimiter when the variable is empty. */
export function applyEnvOp(env: Env, op: EnvOp): void {
  const old = env.get(op.name) ?? ''
  switch (op.op) {
    case 'override':
      env.set(op.name, op.value)
      break
    case 'default':
      if (old === '') env.set(op.name, op.value)
      break
    case 'prepend':
      env.set(op.name, old === '' ? op.value : op.value + op.delim + old)
      break
    case 'append':
      env.set(op.name, old === '' ? op.value : old + op.delim + op.value)
      break
  }
}

/** Applies operations in order. */
export function applyEnvOps(env: Env, ops: readonly EnvOp[]): void {
  for (const op of ops) applyEnvOp(env, op)
}

export { listFiles } from './dir-list.js'

/**
 * Reads an env directory into operations, files in name order. `NAME` (no suffix) means
 * `defaultSuffix`; `NAME.delim` gives the delimiter for NAME in this directory only (default '').
 * Contents are used raw. Unknown suffixes are ignored, as the lifecycle does. Missing dir → [].
 */
export async function readEnvDir(dir: string, opts: { defaultSuffix: 'override' | 'default' }): Promise<EnvOp[]> {
  const files = await listFiles(dir)
  const contents = new Map<string, string>()
  for (const f of files) contents.set(f, await readFile(join(dir, f), 'utf8'))
  const ops: EnvOp[] = []
  for (const f of files) {
    const dot = f.indexOf('.')
    const name = dot < 0 ? f : f.slice(0, dot)
    const suffix = dot < 0 ? opts.defaultSuffix : f.slice(dot + 1)
    if (name === '') continue
    if (suffix !== 'override' && suffix !== 'default' && suffix !== 'prepend' && suffix !== 'append') continue
    ops.push({ op: suffix, name, value: contents.get(f) ?? '', delim: contents.get(`${name}.delim`) ?? '' })
  }
  return ops
}

/** Reads `dir` (see readEnvDir) and applies it to `env`. */
export async function applyEnvDir(env: Env, dir: string, opts: { defaultSuffix: 'override' | 'default' }): Promise<void> {
  applyEnvOps(env, await readEnvDir(dir, opts))
}

/** Which root-dir mapping to use: the build one adds LIBRARY_PATH, CPATH and PKG_CONFIG_PATH. */
export type RootDirKind = 'build' | 'launch'

const ROOT_DIRS: Readonly<Record<RootDirKind, readonly (readonly [string, string])[]>> = {
  build: [
    ['bin', 'PATH'], ['lib', 'LD_LIBRARY_PATH'], ['lib', 'LIBRARY_PATH'], ['include', 'CPATH'], ['pkgconfig', 'PKG_CONFIG_PATH'],
  ],
  launch: [['bin', 'PATH'], ['lib', 'LD_LIBRARY_PATH']],
}

/** Maps a host path to the path a buildpack or the launcher sees (identity when running unsandboxed). */
export type PathMapper = (hostPath: string) => string

/**
 * Returns the prepend operations (delimiter ':') for a layer's root dirs that exist: bin → PATH,
 * lib → LD_LIBRARY_PATH (+ LIBRARY_PATH for build), include → CPATH, pkgconfig → PKG_CONFIG_PATH
 * (build only). Values go through `toContainer`.
 */
export async function rootDirOps(layerDir: string, kind: RootDirKind, toContainer: PathMapper = (p) => p): Promise<EnvOp[]> {
  const ops: EnvOp[] = []
  for (const [sub, name] of ROOT_DIRS[kind]) {
    const p = join(layerDir, sub)
    if (await isDir(p)) ops.push({ op: 'prepend', name, value: toContainer(p), delim: ':' })
  }
  return ops
}

/** Applies rootDirOps to `env`. */
export async function applyRootDirs(env: Env, layerDir: string, kind: RootDirKind, toContainer?: PathMapper): Promise<void> {
  applyEnvOps(env, await rootDirOps(layerDir, kind, toContainer))
}
