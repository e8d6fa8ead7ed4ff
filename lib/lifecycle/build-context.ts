// Where and how buildpacks run: the CNB paths, the sandbox or host runner and its host-to-CNB path mapping.
import { mkdir, rm, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  escapeId, type BuildpackDescriptor, type Env, type PathMapper, type ProcessRunner, type RunContext, type RunTarget,
} from '../buildpack/index.js'
import { LadingError } from '../errors.js'
import { createHostRunner, createSandboxRunner } from '../runner/index.js'
import type { BuildDirs } from './workspace.js'
import { definedOnly } from '../defined.js'

/** Where buildpacks see things: the CNB paths (cnb-spec.md: /workspace, /layers, /platform, /cnb/buildpacks). */
export const CNB_PATHS = { workspace: '/workspace', layers: '/layers', platform: '/platform', buildpacks: '/cnb/buildpacks', tmp: '/tmp/cnb' } as const

/** How buildpacks run: the process runner and the host→CNB path mapping that goes with it. */
export interface Execution {
  runner: ProcessRunner
  toContainer: PathMapper
  /** Host dir for temporary plan files, visible to buildpacks. */
  tmpDir: string
  /** Sets up what the runs share (the sandbox's stage) ahead of the first run. */
  prepare?(): Promise<void>
  /** Releases what the runs shared (the sandbox's prepared stage); call once the build is done. */
  close?(): Promise<void>
}

/** Options of createExecution. */
export interface ExecutionOptions {
  dirs: BuildDirs
  buildpacks: readonly BuildpackDescriptor[]
  sandbox: boolean
  network: boolean
  uid: number
  gid: number
  /** Unpacked build image rootfs; default: the host's `/`, read-only. */
  rootfs?: string
  /** Host paths left out of a host-rootfs sandbox (credential files, lading's own dirs). */
  hidden?: string[]
}

/**
 * Prepares how buildpacks run. In the sandbox, each build dir and each buildpack is bound at its
 * CNB path, so buildpacks see exactly /workspace, /layers, /platform, /cnb/buildpacks/<id>/<v>.
 * Without it (`--no-sandbox`, for CI jobs already inside a build image), the build dirs must BE
 * those paths; buildpacks are linked into /cnb/buildpacks.
 */
export async function createExecution(o: ExecutionOptions): Promise<Execution> {
  const tmpDir = join(o.dirs.root, 'tmp')
  await mkdir(tmpDir, { recursive: true })
  const pairs: [string, string][] = [
    [o.dirs.workspace, CNB_PATHS.workspace], [o.dirs.layers, CNB_PATHS.layers], [o.dirs.platform, CNB_PATHS.platform],
    [tmpDir, CNB_PATHS.tmp],
    ...o.buildpacks.map((bp): [string, string] => [bp.dir, `${CNB_PATHS.buildpacks}/${escapeId(bp.id)}/${bp.version}`]),
  ]
  if (!o.sandbox) {
    for (const [host, cnb] of pairs.slice(0, 3)) {
      if (host !== cnb) throw new LadingError('ERR_NO_SANDBOX_PATHS', `--no-sandbox builds in ${cnb} itself, but the build directory is ${host}`)
    }
    for (const bp of o.buildpacks) {
      const link = `${CNB_PATHS.buildpacks}/${escapeId(bp.id)}/${bp.version}`
      if (link === bp.dir) continue
      await mkdir(join(link, '..'), { recursive: true })
      await rm(link, { recursive: true, force: true })
      await symlink(bp.dir, link)
    }
    return { runner: createHostRunner(), toContainer: (p) => p, tmpDir }
  }
  const runner = createSandboxRunner(definedOnly({
    binds: pairs.map(([source, target], i) => ({ source, target, readOnly: i >= 4 })),
    uid: o.uid, gid: o.gid, network: o.network, rootfs: o.rootfs || undefined, alsoHide: o.hidden,
  }))
  return { runner, toContainer: mapperFor(pairs), tmpDir, prepare: () => runner.prepare(), close: () => runner.close() }
}

/** Maps host paths under any bound source to the matching sandbox path (longest source wins). */
export function mapperFor(pairs: readonly (readonly [string, string])[]): PathMapper {
  const sorted = [...pairs].sort((a, b) => b[0].length - a[0].length)
  return (p: string) => {
    for (const [host, cnb] of sorted) {
      if (p === host) return cnb
      if (p.startsWith(`${host}/`)) return cnb + p.slice(host.length)
    }
    return p
  }
}

/** What the detect and build phases share: where buildpacks run and with what. */
export interface PhaseRuntime {
  dirs: BuildDirs
  exec: Execution
  env: Env
  target: RunTarget
  signal?: AbortSignal
  onOutput?: (chunk: string) => void
}

/** The buildpack run context (cnb-spec.md §3.1) for a phase's runtime. */
export function runContext(r: PhaseRuntime): RunContext {
  return definedOnly({
    runner: r.exec.runner, appDir: r.dirs.workspace, platformDir: r.dirs.platform, tmpDir: r.exec.tmpDir, env: r.env,
    target: r.target, toContainer: r.exec.toContainer, signal: r.signal, onOutput: r.onOutput,
  })
}
