/** `oci:DIR[:TAG]` references to an OCI image layout on disk (skopeo's `oci:` transport syntax). */
import { InvalidReferenceError } from '../oci/index.js'

/** Annotation that names a tag in a layout's index.json (image-spec annotations.md). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name'

/** A parsed layout reference: the layout directory (as given, may be relative) and the ref name. */
export interface LayoutReference { dir: string; tag: string }

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
 * Parses `oci:DIR[:TAG]`; the tag defaults to `latest`. As in skopeo, the first `:` after the
 * prefix ends DIR, so directories containing `:` are not supported (nor Windows drive letters).
 * Throws InvalidReferenceError.
 */
export function parseLayoutReference(s: string): LayoutReference {
  if (!isLayoutReference(s)) throw new InvalidReferenceError(s, 'layout references start with "oci:"')
  const rest = s.slice(4)
  const i = rest.indexOf(':')
  const dir = i < 0 ? rest : rest.slice(0, i)
  const tag = i < 0 ? 'latest' : rest.slice(i + 1)
  if (dir === '') throw new InvalidReferenceError(s, 'layout directory is empty')
  if (!isValidRefName(tag)) throw new InvalidReferenceError(s, `ref name ${JSON.stringify(tag)} is not valid`)
  return { dir, tag }
}
