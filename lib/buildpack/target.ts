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
  // As the lifecycle: a buildpack that names distros needs the run image's distro to be known
  // (the caller fills it from labels, else /etc/os-release of the build image).
  if (!run.distro) return false
  const d = run.distro
  return target.distros.some((x) => fieldMatches(x.name, d.name) && fieldMatches(x.version, d.version))
}

/**
 * Returns true when any of `targets` accepts `run`. As the lifecycle's detector: an empty list, a
 * target with neither os nor arch (whatever its distros), or a run target with neither, accepts.
 */
export function anyTargetMatches(targets: readonly BuildpackTarget[], run: RunTarget): boolean {
  if (targets.length === 0 || (!run.os && !run.arch)) return true
  if (targets.some((t) => !t.os && !t.arch)) return true
  return targets.some((t) => targetMatches(t, run))
}
