/** The state one repository's blob, upload, manifest and tag operations share (RepoContext). */
import type { RegistrySession, TransferStats } from './session.js'
import type { RetryPolicy } from './retry.js'
import type { UploadStateStore } from './upload-state.js'

/** Upload strategy: see RegistryClientOptions.uploadMode. */
export type UploadMode = 'auto' | 'stream' | 'chunked'

/** What the blob, upload, manifest and tag operations of one repository share. */
export interface RepoContext {
  session: RegistrySession
  /** Repository path inside the registry (`library/ubuntu`). */
  repository: string
  stats: TransferStats
  retry: RetryPolicy
  uploadMode: UploadMode
  chunkSize: number
  /** Interrupted uploads kept between runs (none: an interrupted push starts over next time). */
  uploads?: UploadStateStore
  /**
   * Blobs of at least twice this size (known digest and size, streamed) go up in Content-Range
   * chunks of this size, so an interruption leaves a session the next run can continue (except on
   * registries known to break sessions of several PATCHes). 0: off.
   */
  resumableChunkSize: number
  /**
   * After the first resumable chunk, each one carries about this many seconds of transfer at the
   * rate the previous one went (never less than resumableChunkSize). 0: all of resumableChunkSize.
   */
  resumableChunkSeconds: number
  /** Registries that answered 413 to a whole-body upload: chunked from then on. */
  chunkedRegistries: Set<string>
  /** Registries that did not take a resumable chunk in this run: one streamed PATCH from then on. */
  streamOnly: Set<string>
  /** `registry|source` pairs whose mounts were refused (4xx): not tried again by this client. */
  refusedMounts: Set<string>
  /** Registries known to refuse a manifest naming layers they lack: manifests may go first. */
  validatesManifests: Set<string>
  /** Registries that open a session (202) for a POST carrying the blob: two steps from the start. */
  singlePostIgnored: Set<string>
  /** Manifests sent first to learn whether the registry validates them, with no answer either way. */
  probes: { unanswered: number }
  log: (line: string) => void
}

/** `/v2/<repository>` — the path prefix of every repository endpoint. */
export function repoPath(ctx: RepoContext): string {
  return `/v2/${ctx.repository}`
}
