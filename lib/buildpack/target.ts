/** One distro a buildpack supports; an absent field matches anything. */
export interface TargetDistro {
  name?: string
  version?: string
}

/** A `[[targets]]` entry of buildpack.toml; an absent field matches anything. */
export interface BuildpackTarget {
  os?: string
  arch?: string
  variant?: string
  distros: TargetDistro[]
}

/** What is known about the run image: os/arch always, the rest when known. */
export interface RunTarget {
  os: string
  arch: string
  variant?: string
  distro?: { name: string; version: string }
}

function fieldMatches(a: string | undefined, b: string | undefined): boolean {
  return !a || !b || a === b
}

/** Returns true when `target` accepts `run` (cnb-spec.md §1.1: empty on either side, or equal). */
export function targetMatches(target: BuildpackTarget, run: RunTarget): boolean {
  if (!fieldMatches(target.os, run.os) || !fieldMatches(target.arch, run.arch)) return false
  if (!fieldMatches(target.variant, run.variant)) return false
  if (target.distros.length === 0) return true
  // Without distro data for the run image there is nothing to refute the buildpack's claim.
  if (!run.distro) return true
  const d = run.distro
  return target.distros.some((x) => fieldMatches(x.name, d.name) && fieldMatches(x.version, d.version))
}

/** Returns true when any of `targets` accepts `run`; an empty list accepts everything. */
export function anyTargetMatches(targets: readonly BuildpackTarget[], run: RunTarget): boolean {
  return targets.length === 0 || targets.some((t) => targetMatches(t, run))
}
