/** What every command gets: its output, the global flags, a lazily created registry client, image targets and a scratch dir. */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseReference, parsePlatform, type Platform, type Reference, type Repository } from '../oci/index.js'
import { createRegistryClient, isListedHost, type RegistryClient, type RegistryClientOptions } from '../registry/index.js'
import type { GlobalFlags } from './args.js'
import { UsageError } from './args.js'
import { definedOnly } from '../defined.js'
import { sha256 } from '../digest/index.js'
import { NodeHttpDispatcher } from './http-transport.js'
import type { Output } from './output.js'
import { ladingCacheDir } from './env.js'

/** Where an image lives: a registry repository or an OCI layout, plus the tag/digest in it. */
export interface Target {
  repo: Repository
  /** Tag or digest to read, or the tag to write. */
  identifier: string
  /** Tags to write when this is a destination (none for a digest-only reference). */
  tags: string[]
  /** Parsed registry reference; undefined for layouts. */
  ref?: Reference
  /** As the user wrote it, for messages. */
  display: string
}

/** Process-level inputs main.ts hands to commands. */
export interface CommandRuntime {
  /** Aborted on SIGINT/SIGTERM: commands stop, clean up and let main exit 130/143. */
  signal?: AbortSignal
  /** Credential files and lading's own dirs: never visible to buildpacks. */
  secretPaths?: string[]
  /**
   * The process exits as soon as the command returns (bin/lading): idle connections are left
   * for the exit to close.
   */
  exitsAfter?: boolean
}

/**
 * How the registry client talks HTTP: undici's pooled client, Node's own (quicker to load), or
 * 'mixed': Node's own until a request streams blob bytes, which loads undici's pool for those.
 */
export type Transport = 'undici' | 'node' | 'mixed'

/** What every command gets: its output, and a lazily created registry client. */
export class CommandContext {
  #client: RegistryClient | undefined
  #light: NodeHttpDispatcher | undefined
  #scratch: Promise<string> | undefined
  /**
   * `runtime`: what only lib/cli/main.ts may know (the interrupt signal, paths named by the environment).
   * `transport`: 'node' for commands that move manifests and existing blobs, 'undici' (default)
   * for those streaming layers they made, which undici's pool and parser serve best, 'mixed' for
   * those that may do either (copy).
   */
  constructor(readonly out: Output, readonly flags: GlobalFlags, readonly runtime: CommandRuntime = {}, readonly transport: Transport = 'undici') {}

  /** Aborted on SIGINT/SIGTERM: pass it to every call that does I/O. */
  get signal(): AbortSignal | undefined {
    return this.runtime.signal
  }

  /** The registry client, configured from the global flags (created on first use). */
  get registry(): RegistryClient {
    if (!this.#client) {
      for (const f of this.flags.caCerts) {
        try {
          readFileSync(f)
        } catch (err) {
          throw new UsageError(`--ca-cert ${f}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`)
        }
      }
      // A --ca-cert file is checked and loaded by undici's dispatchers, so it keeps them.
      if (this.transport !== 'undici' && this.flags.caCerts.length === 0) {
        const insecure = this.flags.insecureRegistries
        // 'mixed' shares its requests with undici's pool, where only each call's own signal stops a
        // request (an interrupted upload's last chunk and commit get their grace): the same here.
        this.#light = new NodeHttpDispatcher(definedOnly({ insecure: (host: string) => insecure.length > 0 && isListedHost(host, insecure),
          signal: this.transport === 'node' ? this.signal : undefined,
          // node:crypto (~2 ms to load) is needed to check the first answer: it loads while the
          // registry works on the first requests rather than before they go (scripts/build-cli.mjs
          // makes the bundles load it on first use).
          whileWaiting: () => void sha256(''),
          leaveIdleAtClose: this.runtime.exitsAfter === true }))
      }
      const light = this.#light as unknown as RegistryClientOptions['dispatcher']
      this.#client = createRegistryClient({
        ...(light ? this.transport === 'node' ? { dispatcher: light } : { lightDispatcher: light } : {}),
        insecureRegistries: this.flags.insecureRegistries,
        caCertFiles: this.flags.caCerts,
        userAgent: 'lading/0.1',
        log: (line) => this.out.debug(line),
        capabilitiesFile: join(ladingCacheDir(), 'registries.json'),
        // Interrupted uploads are picked up by the next run (issue #10): with a state dir, large
        // layers go up in resumable chunks (RESUMABLE_CHUNK_SIZE, then RESUMABLE_CHUNK_SECONDS of
        // transfer each; not on ECR, GHCR or Quay).
        uploadStateDir: join(ladingCacheDir(), 'uploads'),
        // Configs pushed or read are kept by digest: a rebase of images this machine knows skips their config GET.
        jsonBlobCacheDir: join(ladingCacheDir(), 'json-blobs'),
      })
    }
    return this.#client
  }

  /** Network totals so far (requests, bytes downloaded), or undefined when no registry was used. */
  registryStats(): { requests: number; bytesDownloaded: number } | undefined {
    return this.#client?.stats
  }

  /** Resolves a user's image argument (`oci:DIR[:TAG]` or a registry reference). */
  async target(arg: string, opts: { create?: boolean } = {}): Promise<Target> {
    // `oci:` is lib/layout's isLayoutReference; the folder (file locks, graceful-fs) loads only
    // for a layout, so a registry command does not pay for it at start-up.
    if (arg.startsWith('oci:')) {
      const { openLayout, parseLayoutReference } = await import('../layout/index.js')
      const { dir, tag } = parseLayoutReference(arg)
      const repo = await openLayout(dir, { create: Boolean(opts.create) })
      const identifier = tag ?? 'latest'
      return { repo, identifier, tags: identifier.includes(':') ? [] : [identifier], display: arg }
    }
    const ref = parseReference(arg)
    const repo = this.registry.repository(ref)
    const tags = ref.tag ? [ref.tag] : ref.digest ? [] : ['latest']
    return { repo, identifier: ref.identifier(), tags, ref, display: ref.toString() }
  }

  /** Parses a `--platform os/arch[/variant]` flag. */
  platform(value: unknown): Platform | undefined {
    if (value === undefined) return undefined
    try {
      return parsePlatform(String(value))
    } catch (err) {
      throw new UsageError(`--platform ${String(value)}: ${(err as Error).message}`)
    }
  }

  /** A private temp directory for this command, removed by close(). */
  scratchDir(): Promise<string> {
    this.#scratch ??= mkdtemp(join(tmpdir(), 'lading-'))
    return this.#scratch
  }

  /** Releases network resources and removes the scratch directory. */
  async close(): Promise<void> {
    try {
      await this.#client?.close()
      await this.#light?.close()
    } finally {
      if (this.#scratch) await rm(await this.#scratch, { recursive: true, force: true })
    }
  }
}
