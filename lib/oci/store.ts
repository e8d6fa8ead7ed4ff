// The storage interfaces a registry or an OCI layout implements: blobs, manifests, tags, one repository.
import type { Readable } from 'node:stream'
import type { Digest } from '../digest/index.js'
import type { MediaType } from './media-type.js'
import type { Descriptor, ImageIndex, ImageManifest, Parsed } from './types.js'

/** Progress of a blob transfer; `bytes` is cumulative. */
export interface TransferEvent {
  digest: Digest
  kind: 'upload' | 'download' | 'mount' | 'exists' | 'skip'
  /** Bytes moved so far; on a finished upload, those this run sent (less than total when it resumed an earlier run's session). */
  bytes: number
  total?: number
  done?: boolean
}

/** Options for BlobStore.put. */
export interface PutBlobOptions {
  signal?: AbortSignal
  onProgress?: (e: TransferEvent) => void
}

/**
 * Content-addressed blob storage. One shape for a registry repository, an OCI layout and
 * memory (regclient's lesson), so copy and push code is written once.
 */
export interface BlobStore {
  /** HEAD: the blob's descriptor (size, digest) when present, else undefined. Auth errors throw. */
  stat(d: Digest, signal?: AbortSignal): Promise<Descriptor | undefined>
  /** A stream of the blob's bytes that fails at its end if they do not match `desc`. */
  open(desc: Pick<Descriptor, 'digest' | 'size'> & Partial<Descriptor>, signal?: AbortSignal): Promise<Readable>
  /**
   * Stores bytes. When `expect.digest` is given the stored content is checked against it.
   * A function body is called again for each attempt (retries need a fresh stream).
   */
  put(body: Uint8Array | (() => Readable | Promise<Readable>), expect?: Partial<Descriptor>, opts?: PutBlobOptions): Promise<Descriptor>
  /** Cross-repository mount inside one registry; false when the registry did not mount. */
  mount?(d: Digest, fromRepository: string, signal?: AbortSignal): Promise<boolean>
  /**
   * Where a store backed by files (an OCI layout) keeps blob `d` on this machine, whether or not it
   * is there: a push reads it in place rather than through `open`.
   */
  path?(d: Digest): string
  /**
   * Stores small bytes the store most likely lacks (a config just made) without asking first:
   * one or two round trips where put, which asks, takes up to three.
   */
  putNew?(bytes: Uint8Array, expect: Partial<Descriptor>, opts?: PutBlobOptions): Promise<Descriptor>
  /**
   * True when this machine keeps a copy of blob `d` (lading's cache of small JSON blobs it pushed
   * or read): a hint that the blob was seen before, never proof that the store holds it.
   */
  cached?(d: Digest): boolean
}

/** Options of ManifestStore.putWithBlobs. */
export interface PutWithBlobsOptions {
  /** Blobs the manifest names that the repository may lack. */
  unsure: readonly Digest[]
  /** Makes the repository hold `digests` (all from `unsure`, each asked for once). */
  supply(digests: Digest[]): Promise<void>
  /** Settles when the blobs that are not unsure are written: no manifest PUT before it, but reads may go first. */
  ready?: Promise<void>
  signal?: AbortSignal
}

/** What putWithBlobs did. */
export interface PutWithBlobsResult {
  descriptor: Descriptor
  /** The blobs supplied: those the store named missing, or all of `unsure` when it was not asked. */
  supplied: Digest[]
  /** True when the manifest went first and the store said what it lacked. */
  asked: boolean
}

/** Manifest storage by tag or digest. */
export interface ManifestStore {
  /** HEAD: the descriptor a tag or digest resolves to, or undefined when absent. */
  resolve(tagOrDigest: string, signal?: AbortSignal): Promise<Descriptor | undefined>
  /** GET with the full Accept list; bytes verified when fetched by digest; ≤ 4 MiB. */
  get(tagOrDigest: string, signal?: AbortSignal): Promise<Parsed<ImageManifest | ImageIndex>>
  /** PUT bytes under a tag or digest; returns the descriptor of the bytes. */
  put(tagOrDigest: string, bytes: Uint8Array, mediaType: MediaType, signal?: AbortSignal): Promise<Descriptor>
  /**
   * PUTs a manifest some of whose blobs (`opts.unsure`) the repository may lack, and moves the
   * reference only once all are there. A store known to refuse manifests naming blobs it lacks
   * gets the manifest first and supplies only what it names; any other store gets every unsure
   * blob supplied first.
   */
  putWithBlobs?(tagOrDigest: string, bytes: Uint8Array, mediaType: MediaType, opts: PutWithBlobsOptions): Promise<PutWithBlobsResult>
  /**
   * The manifest under `digest` from this machine's own copy (checked against the digest), or
   * undefined; the store is not asked. Only for a digest the caller already trusts to name the
   * image it wants (a label's run image): a hit says nothing about what the store still holds.
   */
  getCached?(digest: Digest): Promise<Parsed<ImageManifest | ImageIndex> | undefined>
  /** Keeps a copy of `parsed` on this machine for getCached; never throws. */
  keep?(parsed: Parsed<ImageManifest | ImageIndex>): Promise<void>
}

/** One repository: blobs, manifests and tags. */
export interface Repository {
  /** `registry/repository`, or `oci:DIR` for a layout. */
  readonly name: string
  readonly blobs: BlobStore
  readonly manifests: ManifestStore
  tags(signal?: AbortSignal): AsyncIterable<string>
}
