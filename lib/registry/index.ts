/** The door of lib/registry: the distribution client (auth, retries, uploads, resume) and its errors. */
export { createRegistryClient, RESUMABLE_CHUNK_SECONDS, RESUMABLE_CHUNK_SIZE, type RegistryClient, type RegistryClientOptions, type RegistryRepository, type RegistryBlobStore } from './client.js'
export type { TransferStats } from './session.js'
export type { UploadMode } from './context.js'
export type { BlobBody, RegistryPutOptions } from './upload.js'
export {
  chainKeychain, defaultKeychain, dockerAuthConfigKeychain, dockerConfigKeychain, dockerHubApiHost, envKeychain, staticKeychain,
  isDockerHub, CredentialConfigError, DOCKER_HUB_KEY, type Credential, type Keychain, type DockerConfig,
} from './keychain.js'
export { CredentialHelperError } from './credential-helper.js'
export {
  RegistryError, UnauthorizedError, DeniedError, NotFoundError, TooManyRequestsError, ServerError, UnreachableError, ProtocolError,
  type RegistryErrorDetail, type RegistryObject,
} from './errors.js'
export { MAX_MANIFEST_BYTES } from './manifests.js'
export { parseChallenges, normalizeScopes, type Challenge } from './challenge.js'
export { parseRetryAfter } from './retry.js'
export { isListedHost } from './http.js'
export { JsonBlobCache, withJsonBlobCache, type JsonBlobCacheOptions } from './json-blob-cache.js'
