/** The registry client facade: one session (ping, auth, tokens) per registry host, shared by
 * every repository handle, and the Repository shape the rest of lading consumes.
 */
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Digest } from '../digest/index.js'
import type { BlobStore, Descriptor, ManifestStore, Repository } from '../oci/index.js'
import { cancelUpload, mountBlob, openBlob, statBlob } from './blobs.js'
import { postBlob } from './blob-post.js'
import type { RepoContext, UploadMode } from './context.js'
import { loadCapabilities } from './capabilities.js'
import { createDispatchers } from './http.js'
import { defaultKeychain, isDockerHub, type Keychain } from './keychain.js'
import { deleteManifest, getManifest, putManifest, resolveManifest } from './manifests.js'
import { putManifestWithBlobs } from './manifest-blobs.js'
import { resolveRetry, type RetryOptions } from './retry.js'
import { RegistrySession, type TransferStats } from './session.js'
import { listTags } from './tags.js'
import { putBlob, type BlobBody, type RegistryPutOptions } from './upload.js'
import { uploadStateStore } from './upload-state.js'
import { JsonBlobCache, withJsonBlobCache } from './json-blob-cache.js'
import { definedOnly } from '../defined.js'

/** Options for createRegistryClient. */
export interface RegistryClientOptions {
  /** Where credentials come from; default defaultKeychain(). */
  keychain?: Keychain
  /** Hosts (`host` or `host:port`) allowed over plain HTTP and with TLS verification off. */
  insecureRegistries?: readonly string[]
  /** Extra PEM CA bundles trusted for TLS (on top of the system roots). */
  caCertFiles?: readonly string[]
  userAgent?: string
  retry?: RetryOptions
  /** Bytes per PATCH in chunked mode (default 4 MiB: GHCR's cap). */
  chunkSize?: number
  /** auto: monolithic PUT for in-memory bytes, one streamed PATCH otherwise; chunked after a 413. */
  uploadMode?: UploadMode
  /** Debug lines; never contain credentials. */
  log?: (line: string) => void
  /** Use this dispatcher for everything (then caCertFiles/insecure TLS settings are the caller's). */
  dispatcher?: Dispatcher
  /** Use this dispatcher for requests that move no blob bytes; undici's agents load only for those that do (not with caCertFiles). */
  lightDispatcher?: Dispatcher
  /** A JSON file keeping what was learned about registries (413s, refused mounts) between runs. */
  capabilitiesFile?: string
  /** A directory keeping interrupted uploads (session Location + acknowledged offset) so the next run resumes them. */
  uploadStateDir?: string
  /** A directory keeping the small JSON blobs (configs) pushed and read, so later runs skip their GETs (JsonBlobCache). */
  jsonBlobCacheDir?: string
  /**
   * Chunk size that makes large streamed uploads resumable across processes (see RepoContext);
   * default RESUMABLE_CHUNK_SIZE with an uploadStateDir, else 0 (one streamed PATCH).
   */
  resumableChunkSize?: number
  /** Seconds of transfer a later resumable chunk carries (see RepoContext); default RESUMABLE_CHUNK_SECONDS, 0: fixed size. */
  resumableChunkSeconds?: number
}

/**
 * Resumable chunks: the first is RESUMABLE_CHUNK_SIZE, the next ones carry about
 * RESUMABLE_CHUNK_SECONDS of transfer at the rate measured on the one before. Each chunk costs a
 * round trip plus the registry's work of closing it (distribution: an fsync and a hash-state file,
 * ~40-70 ms on loopback, so 32 MiB chunks made a 256 MiB push ~15% slower there); sized by time,
 * that stays a few percent at any speed, while what an interrupt loses behind a request-buffering
 * proxy, or waits for on a signal, stays at about two seconds of transfer.
 */
export const RESUMABLE_CHUNK_SIZE = 32 << 20
export const RESUMABLE_CHUNK_SECONDS = 2

/** BlobStore of a registry repository: put also takes `mountFrom`. */
export interface RegistryBlobStore extends BlobStore {
  put(body: BlobBody, expect?: Partial<Descriptor>, opts?: RegistryPutOptions): Promise<Descriptor>
  mount(d: Digest, fromRepository: string, signal?: AbortSignal): Promise<boolean>
}

/** A repository in a registry. `name` is `registry/repository`. */
export interface RegistryRepository extends Repository {
  readonly registry: string
  readonly repository: string
  readonly blobs: RegistryBlobStore
  /** DELETE a manifest by digest (distribution needs storage.delete.enabled). */
  deleteManifest(digest: Digest, signal?: AbortSignal): Promise<void>
}

/** A registry client. Safe for concurrent use; `close()` releases connections. */
export interface RegistryClient {
  repository(ref: { registry: string; repository: string }): RegistryRepository
  /** Cumulative counters over the client's life. */
  readonly stats: Readonly<TransferStats>
  close(): Promise<void>
}

/** Creates a client. Throws ERR_REGISTRY_CA_FILE when a CA file cannot be read. */
export function createRegistryClient(opts: RegistryClientOptions = {}): RegistryClient {
  const dispatchers = createDispatchers(definedOnly({
    caCertFiles: opts.caCertFiles, insecureRegistries: opts.insecureRegistries, dispatcher: opts.dispatcher, light: opts.lightDispatcher,
  }))
  const stats: TransferStats = {
    bytesUploaded: 0, bytesDownloaded: 0, blobsUploaded: 0, blobsMounted: 0, bytesMounted: 0,
    blobsExisting: 0, bytesExisting: 0, requests: 0, retries: 0,
  }
  const retry = resolveRetry(opts.retry)
  const log = opts.log ?? (() => {})
  const keychain = opts.keychain ?? defaultKeychain()
  const sessions = new Map<string, RegistrySession>()
  const caps = loadCapabilities(opts.capabilitiesFile, { log })
  const uploads = opts.uploadStateDir ? uploadStateStore(opts.uploadStateDir) : undefined
  const jsonBlobs = opts.jsonBlobCacheDir ? new JsonBlobCache(opts.jsonBlobCacheDir) : undefined
  let closing: Promise<void> | undefined
  const chunkedRegistries = caps.chunked
  const streamOnly = new Set<string>()
  const refusedMounts = caps.refusedMounts
  const probes = new Map<string, { unanswered: number }>()
  const sessionFor = (registry: string): RegistrySession => {
    const key = isDockerHub(registry) ? 'docker.io' : registry.toLowerCase()
    let s = sessions.get(key)
    if (!s) {
      s = new RegistrySession(key, {
        keychain, dispatcherFor: dispatchers.forHost, insecureRegistries: opts.insecureRegistries ?? [],
        userAgent: opts.userAgent ?? 'lading/0.1', retry, stats, log, pings: caps.pings,
      })
      sessions.set(key, s)
    }
    return s
  }
  return {
    stats,
    repository(ref) {
      const session = sessionFor(ref.registry)
      const ctx: RepoContext = definedOnly({
        session, repository: ref.repository, stats, retry, log, chunkedRegistries, refusedMounts, streamOnly,
        validatesManifests: caps.validatesManifests, singlePostIgnored: caps.singlePostIgnored,
        probes: probes.get(session.registry) ?? probes.set(session.registry, { unanswered: 0 }).get(session.registry)!,
        uploadMode: opts.uploadMode ?? 'auto', chunkSize: Math.max(1, opts.chunkSize ?? 4 << 20),
        resumableChunkSize: Math.max(0, opts.resumableChunkSize ?? (uploads ? RESUMABLE_CHUNK_SIZE : 0)), uploads,
        resumableChunkSeconds: Math.max(0, opts.resumableChunkSeconds ?? RESUMABLE_CHUNK_SECONDS),
      })
      return jsonBlobs ? withJsonBlobCache(repositoryOf(ctx), jsonBlobs) : repositoryOf(ctx)
    },
    // Idempotent: callers and their cleanup handlers may both close.
    close: () => (closing ??= (async () => {
      caps.save()
      await dispatchers.close()
      // A prune cut short by exit would never finish where every command is short: wait for it (at most once an hour).
      await jsonBlobs?.settled()
    })()),
  }
}

function repositoryOf(ctx: RepoContext): RegistryRepository {
  const blobs: RegistryBlobStore = {
    stat: (d, signal) => statBlob(ctx, d, signal),
    open: (desc, signal): Promise<Readable> => openBlob(ctx, desc, signal),
    put: (body, expect, o) => putBlob(ctx, body, expect, o),
    putNew: (bytes, expect, o) => postBlob(ctx, bytes, expect, o),
    async mount(d, from, signal) {
      const r = await mountBlob(ctx, d, stripRegistry(ctx, from), signal)
      if (!r.mounted && r.location) await cancelUpload(ctx, r.location)
      if (r.mounted) ctx.stats.blobsMounted++
      return r.mounted
    },
  }
  const manifests: ManifestStore = {
    resolve: (ref, signal) => resolveManifest(ctx, ref, signal),
    get: (ref, signal) => getManifest(ctx, ref, signal),
    put: (ref, bytes, mediaType, signal) => putManifest(ctx, ref, bytes, mediaType, signal),
    putWithBlobs: (ref, bytes, mediaType, o) => putManifestWithBlobs(ctx, ref, bytes, mediaType, o),
  }
  return {
    name: `${ctx.session.registry}/${ctx.repository}`,
    registry: ctx.session.registry,
    repository: ctx.repository,
    blobs,
    manifests,
    tags: (signal) => listTags(ctx, signal),
    deleteManifest: (digest, signal) => deleteManifest(ctx, digest, signal),
  }
}

function stripRegistry(ctx: RepoContext, from: string): string {
  const prefix = `${ctx.session.registry}/`
  return from.startsWith(prefix) ? from.slice(prefix.length) : from
}
