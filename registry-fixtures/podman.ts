/**
 * Runs an image with podman as an independent oracle ("does a real container runtime accept and
 * run what we built?"). Flags that work on this machine (Debian 12, podman 4.3.1, root, hybrid
 * cgroups) are documented in ensure-tools.sh: vfs storage, runc runtime, `--network none` unless
 * a test asks for the host's (a loopback registry).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trackDir, untrackDir } from './cleanup.js'
import { runTool, runToolOk, type ToolResult } from './exec-tool.js'

/** Options for {@link podmanRun}. */
export interface PodmanRunOptions extends PodmanPullOptions {
  entrypoint?: string
  args?: string[]
  env?: Record<string, string>
  /** Run as this user instead of the image's User. */
  user?: string
  /** `none` (default: tests need no network, and it skips netavark/CNI setup) or `host` (reach a loopback registry). */
  network?: 'none' | 'host'
  /** `HOST:CONTAINER[:ro]` bind mounts. */
  volumes?: string[]
  /** Working directory in the container instead of the image's. */
  workdir?: string
}

/** How {@link podmanSession} pulls. */
export interface PodmanPullOptions {
  /** Verify TLS when pulling from a registry (default false: loopback test registries). */
  tlsVerify?: boolean
  /** `user:password` for the pull. */
  creds?: string
  /** Directory with `ca.crt` (RegistryFixture.certDir) for a TLS registry. */
  certDir?: string
}

/** One pulled image in a private podman storage: run it as often as needed, then close (removes the storage). */
export interface PodmanSession {
  run(opts?: Omit<PodmanRunOptions, keyof PodmanPullOptions>): Promise<ToolResult>
  close(): Promise<void>
}

/** Turns `host/repo:tag` into `docker://host/repo:tag`; refs with a transport are kept. */
function withTransport(ref: string): string {
  return /^(oci|docker|oci-archive|docker-archive|dir|containers-storage):/.test(ref) ? ref : `docker://${ref}`
}

/**
 * Pulls `imageRef` (a registry reference such as `127.0.0.1:5000/app:latest`, or `oci:DIR:TAG`)
 * into a private, throw-away podman storage, for runs with `--rm`. Pull failures reject with
 * ERR_FIXTURE_TOOL_FAILED. A private storage root per session means parallel tests never share or
 * delete each other's images; close() removes it.
 */
export async function podmanSession(imageRef: string, opts: PodmanPullOptions = {}): Promise<PodmanSession> {
  // Lower-case names only: podman names an `oci:` image after its directory path, and an
  // upper-case letter there (mkdtemp suffixes, tap's fixture dirs) is an invalid reference.
  const dir = join(tmpdir(), `lading-podman-${randomBytes(6).toString('hex')}`)
  await mkdir(dir)
  trackDir(dir)
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'),
    '--storage-driver', 'vfs', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none']
  const close = async (): Promise<void> => {
    // Unmount anything left over before deleting; vfs has no mounts, but be safe if configured otherwise.
    await runTool('podman', [...global, 'rmi', '--all', '--force']).catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
    untrackDir(dir)
  }
  let id: string
  try {
    const pull = [...global, 'pull', '--quiet', `--tls-verify=${opts.tlsVerify ?? false}`]
    if (opts.creds) pull.push('--creds', opts.creds)
    if (opts.certDir) pull.push('--cert-dir', opts.certDir)
    let ref = withTransport(imageRef)
    const oci = /^oci:(.+?)(?::([^:/]+))?$/.exec(ref)
    if (oci) {
      await symlink(oci[1] ?? '', join(dir, 'layout'))
      ref = `oci:${join(dir, 'layout')}${oci[2] ? `:${oci[2]}` : ''}`
    }
    pull.push(ref)
    // vfs copies every layer on pull: a 100 MiB image on a loaded 2-core machine can take minutes.
    id = (await runToolOk('podman', pull, { timeoutMs: 900_000 })).trim().split('\n').pop() ?? ''
  } catch (err) {
    await close()
    throw err
  }
  return {
    close,
    run: (o = {}) => {
      const run = [...global, 'run', '--rm', '--network', o.network ?? 'none', '--pull', 'never']
      if (o.entrypoint !== undefined) run.push('--entrypoint', o.entrypoint)
      if (o.user !== undefined) run.push('--user', o.user)
      for (const [k, v] of Object.entries(o.env ?? {})) run.push('--env', `${k}=${v}`)
      for (const v of o.volumes ?? []) run.push('--volume', v)
      if (o.workdir !== undefined) run.push('--workdir', o.workdir)
      run.push(id, ...(o.args ?? []))
      return runTool('podman', run, { timeoutMs: 900_000 })
    },
  }
}

/** Pulls `imageRef` into a private storage, runs it once with `--rm`, and resolves with the container's output and exit code. */
export async function podmanRun(imageRef: string, opts: PodmanRunOptions = {}): Promise<ToolResult> {
  const { tlsVerify, creds, certDir, ...run } = opts
  const session = await podmanSession(imageRef, definedPull({ tlsVerify, creds, certDir }))
  try {
    return await session.run(run)
  } finally {
    await session.close()
  }
}

function definedPull(o: PodmanPullOptions): PodmanPullOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as PodmanPullOptions
}
