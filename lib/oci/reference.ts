/** Image references with Docker's normalisation rules (distribution/reference `normalize.go`,
 * oci-registry.md §2.7): `[domain/]path[:tag][@digest]`.
 */
import { digestAlgorithm, isDigest, isVerifiableDigest, VERIFIABLE_ALGORITHMS, type Digest } from '../digest/index.js'
import { InvalidReferenceError } from './errors.js'
import type { Reference } from './types.js'

/** Canonical Docker Hub domain. */
export const DOCKER_HUB = 'docker.io'
/** Tag used when a reference names neither tag nor digest. */
export const DEFAULT_TAG = 'latest'
const MAX_NAME = 255

const TAG = /^[\w][\w.-]{0,127}$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_NAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$/
const IPV6 = /^\[[a-fA-F0-9:]+(?:%[\w.-]+)?\]$/
const PORT = /^[0-9]+$/
const IMAGE_ID = /^[a-f0-9]{64}$/

/** True when `tag` is a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

/**
 * Parses `s` into a Reference. Hub names get `docker.io` and, for one component, `library/`;
 * `index.docker.io` becomes `docker.io`. `tag` stays undefined unless the input names one:
 * `identifier()` falls back to `latest`, and `toString()` gives back what was given in canonical
 * form (`ubuntu` → `docker.io/library/ubuntu`). Throws InvalidReferenceError naming the problem.
 */
export function parseReference(s: string): Reference {
  const bad = (why: string): never => { throw new InvalidReferenceError(String(s), why) }
  if (typeof s !== 'string' || s.length === 0) bad('reference is empty')
  if (/\s/.test(s)) bad('contains whitespace')
  if (IMAGE_ID.test(s)) bad('a bare 64-hex string is an image ID, not a repository name')

  let rest = s
  let digest: Digest | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    const d = rest.slice(at + 1)
    if (!isDigest(d)) bad(`digest ${JSON.stringify(d)} is not algorithm:hex`)
    // A digest nobody can verify would only fail at the registry (or, worse, be trusted unchecked).
    if (!isVerifiableDigest(d)) bad(`digest algorithm ${JSON.stringify(digestAlgorithm(d as Digest))} is not supported (use ${VERIFIABLE_ALGORITHMS.join(' or ')})`)
    digest = d as Digest
    rest = rest.slice(0, at)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) bad(`tag ${JSON.stringify(tag)} must match [\\w][\\w.-]{0,127}`)
  }
  if (rest === '') bad('repository name is empty')

  let registry = DOCKER_HUB
  let path = rest
  const slash = rest.indexOf('/')
  if (slash >= 0) {
    const first = rest.slice(0, slash)
    if (first === 'localhost' || first.includes('.') || first.includes(':') || first !== first.toLowerCase()) {
      registry = checkDomain(first, bad)
      path = rest.slice(slash + 1)
    }
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB
  if (path === '') bad('repository path is empty')
  if (path !== path.toLowerCase()) bad('repository path must be lowercase')
  for (const c of path.split('/')) {
    if (!PATH_COMPONENT.test(c)) bad(`path component ${JSON.stringify(c)} must match [a-z0-9]+ joined by ".", "_", "__" or "-"`)
  }
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`
  if (registry.length + 1 + path.length > MAX_NAME) bad(`repository name is longer than ${MAX_NAME} characters`)
  return makeReference(registry, path, tag, digest)
}

function checkDomain(d: string, bad: (why: string) => never): string {
  let host = d
  let port: string | undefined
  if (d.startsWith('[')) {
    const end = d.indexOf(']')
    host = end < 0 ? d : d.slice(0, end + 1)
    const after = end < 0 ? '' : d.slice(end + 1)
    if (after !== '') {
      if (!after.startsWith(':')) bad(`registry ${JSON.stringify(d)} is not a valid host[:port]`)
      port = after.slice(1)
    }
    if (!IPV6.test(host)) bad(`registry ${JSON.stringify(d)} is not a valid IPv6 address`)
  } else {
    const c = d.indexOf(':')
    if (c >= 0) {
      host = d.slice(0, c)
      port = d.slice(c + 1)
    }
    if (!DOMAIN_NAME.test(host)) bad(`registry ${JSON.stringify(d)} is not a valid host[:port]`)
  }
  if (port !== undefined && !PORT.test(port)) bad(`registry port ${JSON.stringify(port)} must be digits`)
  return d
}

function makeReference(registry: string, repository: string, tag: string | undefined, digest: Digest | undefined): Reference {
  const ref: Reference = {
    registry,
    repository,
    identifier: () => digest ?? tag ?? DEFAULT_TAG,
    name: () => `${registry}/${repository}`,
    toString: () => `${registry}/${repository}${tag !== undefined ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`,
  }
  if (tag !== undefined) ref.tag = tag
  if (digest !== undefined) ref.digest = digest
  return ref
}

/** A copy of `ref` with `tag` (digest dropped, so the tag is what identifier() resolves). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG.test(tag)) throw new InvalidReferenceError(`${ref.name()}:${tag}`, `tag ${JSON.stringify(tag)} must match [\\w][\\w.-]{0,127}`)
  return makeReference(ref.registry, ref.repository, tag, undefined)
}

/** A copy of `ref` pinned to `digest` (tag kept for display; the digest wins in identifier()). */
export function withDigest(ref: Reference, digest: Digest): Reference {
  if (!isVerifiableDigest(digest)) throw new InvalidReferenceError(`${ref.name()}@${digest}`, `digest is not ${VERIFIABLE_ALGORITHMS.join(' or ')}:hex`)
  return makeReference(ref.registry, ref.repository, ref.tag, digest)
}

/** `registry/repository` of `ref`, the key push/mount code uses for a repository. */
export function repositoryString(ref: Reference): string {
  return `${ref.registry}/${ref.repository}`
}
