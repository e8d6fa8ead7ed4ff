/** `oci:DIR[:TAG]` and `oci:DIR@DIGEST` references to an OCI image layout on disk (skopeo's `oci:` transport syntax, plus a digest form). */
import { InvalidReferenceError } from '../oci/index.js'

/** Annotation that names a tag in a layout's index.json (image-spec annotations.md). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name'

/**
 * A parsed layout reference: the layout directory (as given, may be relative) and the ref name,
 * or the manifest digest for `oci:DIR@sha256:...` (`tag` then holds the digest, which a
 * LayoutRepository resolves like a tag).
 */
export interface LayoutReference { dir: string; tag: string }

/** What `oci:DIR` with no tag means: `latest`, or the layout's only manifest when none is tagged so. */
export const DEFAULT_LAYOUT_TAG = 'latest'

// image-spec annotations.md grammar for org.opencontainers.image.ref.name.
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/

/** True when `name` is a valid layout ref name (letters/digits joined by `-._:@+`, `--`, `/`). */
export function isValidRefName(name: string): boolean {
  return REF_NAME.test(name)
}

/** True when `s` uses the `oci:` layout transport. */
export function isLayoutReference(s: string): boolean {
  return s.startsWith('oci:')
}

/**
 * Parses `oci:DIR[:TAG]` or `oci:DIR@sha256:HEX`; the tag defaults to DEFAULT_LAYOUT_TAG. As in
 * skopeo, the first `:` after the prefix ends DIR, so directories containing `:` are not
 * supported (nor Windows drive letters). Throws InvalidReferenceError.
 */
export function parseLayoutReference(s: string): LayoutReference {
  if (!isLayoutReference(s)) throw new InvalidReferenceError(s, 'layout references start with "oci:"')
  const rest = s.slice(4)
  const at = /^([^:]*)@(sha256:.*)$/.exec(rest)
  if (at) {
    if (at[1] === '') throw new InvalidReferenceError(s, 'layout directory is empty')
    if (!/^sha256:[0-9a-f]{64}$/.test(at[2]!)) throw new InvalidReferenceError(s, `digest ${JSON.stringify(at[2])} is not a sha256 digest`)
    return { dir: at[1]!, tag: at[2]! }
  }
  const i = rest.indexOf(':')
  const dir = i < 0 ? rest : rest.slice(0, i)
  const tag = i < 0 ? DEFAULT_LAYOUT_TAG : rest.slice(i + 1)
  if (dir === '') throw new InvalidReferenceError(s, 'layout directory is empty')
  if (!isValidRefName(tag)) throw new InvalidReferenceError(s, `ref name ${JSON.stringify(tag)} is not valid`)
  return { dir, tag }
}
