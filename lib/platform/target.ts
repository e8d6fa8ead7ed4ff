/** Target data (cnb-spec.md §1.1, §5.1): what a run image is (os, arch, variant, base id,
 * distro), read from its config and `io.buildpacks.base.*` labels, and whether a buildpack's
 * `[[targets]]` entry accepts it. Pure.
 */
import type { ImageConfig } from '../oci/index.js'
import { TargetDataError } from './errors.js'
import { LABELS } from './labels/index.js'

/** A Linux distribution by name and version (`ubuntu`, `22.04`). */
export interface Distro {
  name: string
  version: string
}

/** The target data of a run (or build) image, as analyzed.toml records it. */
export interface TargetMetadata {
  /** `io.buildpacks.base.id`, when set. */
  id?: string
  os: string
  arch: string
  /** The config's `variant` (TOML key `arch-variant` [impl]). */
  archVariant?: string
  distro?: Distro
}

/** One buildpack.toml `[[targets]]` entry; every field optional, absent = matches anything. */
export interface BuildpackTarget {
  os?: string
  arch?: string
  variant?: string
  distros?: Array<{ name?: string; version?: string }>
}

const BIONIC = 'io.buildpacks.stacks.bionic'

/**
 * Returns the target data of an image from its config: `os`, `architecture`, `variant`, and the
 * labels `io.buildpacks.base.id` / `io.buildpacks.base.distro.{name,version}` (a distro is set
 * when either label exists). Legacy rule: a `io.buildpacks.stacks.bionic` stack id without
 * distro labels means linux, ubuntu 18.04. Throws TargetDataError when `os` is missing.
 */
export function targetFromImageConfig(config: Pick<ImageConfig, 'os' | 'architecture' | 'variant' | 'config'>): TargetMetadata {
  const labels = config.config?.Labels ?? {}
  const t: TargetMetadata = { os: config.os ?? '', arch: config.architecture ?? '' }
  if (config.variant) t.archVariant = config.variant
  const id = labels[LABELS.BASE_ID]
  if (id) t.id = id
  const name = labels[LABELS.BASE_DISTRO_NAME]
  const version = labels[LABELS.BASE_DISTRO_VERSION]
  if (name !== undefined || version !== undefined) t.distro = { name: name ?? '', version: version ?? '' }
  if (!t.distro && labels[LABELS.STACK_ID] === BIONIC) {
    if (!t.os) t.os = 'linux'
    t.distro = { name: 'ubuntu', version: '18.04' }
  }
  if (!t.os) throw new TargetDataError('image config has no "os": cannot determine the target')
  return t
}

function same(a: string | undefined, b: string | undefined): boolean {
  return !a || !b || a === b
}

/**
 * Returns true when `bp` accepts `run` as the lifecycle decides it: os, arch and variant each
 * either empty on one side or equal; when the buildpack lists distros and the run image has
 * distro data, one distro must match on name and version (empty = wildcard). A run image
 * without distro data matches any distro list: the lifecycle then consults /etc/os-release
 * of the build container, so callers should fill `run.distro` from it (`distroFromOsRelease`).
 */
export function targetMatches(bp: BuildpackTarget, run: TargetMetadata): boolean {
  if (!same(bp.os, run.os) || !same(bp.arch, run.arch) || !same(bp.variant, run.archVariant)) return false
  if (!run.distro || !bp.distros || bp.distros.length === 0) return true
  const d = run.distro
  return bp.distros.some((x) => same(x.name, d.name) && same(x.version, d.version))
}

/** Returns true when any of `targets` matches `run`; an empty list matches everything. */
export function anyTargetMatches(targets: readonly BuildpackTarget[], run: TargetMetadata): boolean {
  return targets.length === 0 || targets.some((t) => targetMatches(t, run))
}

/**
 * Returns the distro from `/etc/os-release` text (`ID`, `VERSION_ID`, quotes removed), or
 * undefined when it names neither.
 */
export function distroFromOsRelease(text: string): Distro | undefined {
  const vals: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_]+)=(.*)$/.exec(line)
    if (!m) continue
    let v = m[2]!.trim()
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1)
    vals[m[1]!] = v
  }
  const name = vals['ID'] ?? ''
  const version = vals['VERSION_ID'] ?? ''
  return name || version ? { name, version } : undefined
}

/**
 * Returns the `CNB_TARGET_*` variables buildpacks see (Buildpack API 0.10): OS, ARCH,
 * ARCH_VARIANT, DISTRO_NAME, DISTRO_VERSION always (possibly empty, as the lifecycle sets
 * them), ID only when known.
 */
export function targetEnv(t: TargetMetadata): Record<string, string> {
  const env: Record<string, string> = {
    CNB_TARGET_OS: t.os,
    CNB_TARGET_ARCH: t.arch,
    CNB_TARGET_ARCH_VARIANT: t.archVariant ?? '',
    CNB_TARGET_DISTRO_NAME: t.distro?.name ?? '',
    CNB_TARGET_DISTRO_VERSION: t.distro?.version ?? '',
  }
  if (t.id) env['CNB_TARGET_ID'] = t.id
  return env
}
