/**
 * Independent readers of what lading writes: skopeo (registry and layout inspection) and umoci
 * (unpacking an OCI layout). Tests use these so lading's output is never checked only by itself.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runToolOk } from './exec-tool.js'
import { FixtureError } from './fixture-error.js'

/** Options for {@link skopeoInspect}. */
export interface SkopeoInspectOptions {
  /** Verify TLS (default false: loopback test registries). */
  tlsVerify?: boolean
  /** `user:password`. */
  creds?: string
  /** Directory with `ca.crt` (RegistryFixture.certDir). */
  caDir?: string
  /** Return the manifest exactly as stored (`--raw`) instead of skopeo's summary. */
  raw?: boolean
  /** Return the image config (`--config`). */
  config?: boolean
}

function transportRef(ref: string): string {
  return /^(oci|docker|oci-archive|docker-archive|dir):/.test(ref) ? ref : `docker://${ref}`
}

function skopeoArgs(ref: string, opts: SkopeoInspectOptions): string[] {
  const args = ['inspect', '--retry-times', '0']
  const full = transportRef(ref)
  if (full.startsWith('docker://')) {
    args.push(`--tls-verify=${opts.tlsVerify ?? false}`)
    if (opts.creds) args.push('--creds', opts.creds)
    if (opts.caDir) args.push('--cert-dir', opts.caDir)
  }
  if (opts.raw) args.push('--raw')
  if (opts.config) args.push('--config')
  args.push(full)
  return args
}

/**
 * Runs `skopeo inspect` on `ref` (`host/repo:tag`, `docker://…`, or `oci:DIR:TAG`) and returns
 * the parsed JSON: skopeo's summary by default, the stored manifest with `raw`, the config with
 * `config`. Rejects with ERR_FIXTURE_TOOL_FAILED (skopeo's stderr) on failure.
 */
export async function skopeoInspect(ref: string, opts: SkopeoInspectOptions = {}): Promise<Record<string, unknown>> {
  return JSON.parse(await runToolOk('skopeo', skopeoArgs(ref, opts))) as Record<string, unknown>
}

/** Returns the exact manifest bytes skopeo reads for `ref` (for digest comparisons). */
export async function skopeoRawManifest(ref: string, opts: Omit<SkopeoInspectOptions, 'raw' | 'config'> = {}): Promise<string> {
  return runToolOk('skopeo', skopeoArgs(ref, { ...opts, raw: true }))
}

/**
 * Unpacks `<layoutDir>:<tag>` with umoci into the runtime bundle `destDir` (must not exist or be
 * empty) and returns the path of its `rootfs`. Runs `--rootless` when not root.
 */
export async function umociUnpack(layoutDir: string, tag: string, destDir: string): Promise<string> {
  if (existsSync(destDir) && readdirSync(destDir).length > 0) {
    throw new FixtureError('ERR_FIXTURE_UNPACK', `umociUnpack: ${destDir} is not empty`)
  }
  const rootless = process.getuid?.() === 0 ? [] : ['--rootless']
  await runToolOk('umoci', ['unpack', ...rootless, '--image', `${layoutDir}:${tag}`, destDir])
  return join(destDir, 'rootfs')
}
