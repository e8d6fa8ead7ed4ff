/** Shared set-up for the phase tests: build dirs, the host runner and the initial env, as `lading build` would give a phase. */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { initialBuildEnv } from '../../lib/buildpack/index.js'
import type { PhaseRuntime } from '../../lib/lifecycle/build-context.js'
import { copyApp, prepareBuildDirs, type AppFilter } from '../../lib/lifecycle/workspace.js'
import { createHostRunner } from '../../lib/runner/host-runner.js'
import { hostArchitecture } from '../../registry-fixtures/index.js'

/**
 * Build dirs under `root` with `app` copied into the workspace (none when undefined), the host
 * runner (no sandbox: paths are the same inside and out) with its tmp dir, the env a build starts
 * from, and this host's target.
 */
export async function hostRuntime(root: string, app?: string, filter?: AppFilter): Promise<Required<Pick<PhaseRuntime, 'dirs' | 'exec' | 'env' | 'target'>>> {
  const dirs = await prepareBuildDirs(root)
  if (app !== undefined) await copyApp(app, dirs.workspace, filter)
  const exec = { runner: createHostRunner(), toContainer: (p: string) => p, tmpDir: join(dirs.root, 'tmp') }
  await mkdir(exec.tmpDir)
  const env = initialBuildEnv({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' })
  const target = { os: 'linux', arch: hostArchitecture() }
  return { dirs, exec, env, target }
}
