/** Content digests: parsing and validation (which algorithms lading can verify), sha256, and the typed mismatch errors. */
import { createHash } from 'node:crypto'
import { LadingError } from '../errors.js'

/** A content digest, `algorithm:encoded`; only sha256 is computed, other algorithms parse. */
export type Digest = string & { readonly __brand: 'Digest' }

export class InvalidDigestError extends LadingError {
  constructor(readonly value: string) {
    super('ERR_DIGEST_INVALID', `invalid digest ${JSON.stringify(value)}: expected sha256:<64 lowercase hex>`)
  }
}

export class DigestMismatchError extends LadingError {
  constructor(readonly expected: Digest, readonly actual: Digest, readonly bytesRead: number) {
    super('ERR_DIGEST_MISMATCH', `content does not match its digest: expected ${expected}, got ${actual} (${bytesRead} bytes read)`)
  }
}

export class SizeMismatchError extends LadingError {
  constructor(readonly expected: number, readonly actual: number, readonly digest?: Digest) {
    super('ERR_SIZE_MISMATCH', `content${digest ? ` ${digest}` : ''} has ${actual} bytes, expected ${expected}`)
  }
}

const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/
const KNOWN: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ }

/** Parses and validates a digest string (OCI image-spec descriptor grammar). Throws InvalidDigestError. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw new InvalidDigestError(String(s))
  return s
}

/** True when `s` parses as a digest. Tags go through here on every manifest request: no throw on the way. */
export function isDigest(s: string): s is Digest {
  if (typeof s !== 'string' || !GRAMMAR.test(s)) return false
  const i = s.indexOf(':')
  const known = KNOWN[s.slice(0, i)]
  return !known || known.test(s.slice(i + 1))
}

/** Digest algorithms lading can verify (registered in the OCI image spec). */
export const VERIFIABLE_ALGORITHMS: readonly string[] = ['sha256', 'sha512']

/** True when `s` is a digest whose algorithm lading can verify (`md5:…` parses as grammar, but nothing could check it). */
export function isVerifiableDigest(s: string): s is Digest {
  return isDigest(s) && VERIFIABLE_ALGORITHMS.includes(digestAlgorithm(s))
}

/** The sha256 digest of `data`. */
export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}` as Digest
}

/** The encoded part of a digest (the hex after `sha256:`). */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1)
}

/** The algorithm of a digest (`sha256`). */
export function digestAlgorithm(d: Digest): string {
  return d.slice(0, d.indexOf(':'))
}

/**
 * sha256 of the empty string: the digest of an empty blob. Written out, not computed: computing
 * it would load node:crypto as the CLI's bundle starts, before its first request goes out.
 */
export const EMPTY_SHA256 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' as Digest
