/** `--shard K/N`: a deterministic split of a fleet by image name, so N jobs (a Kubernetes
 * Indexed Job, a GitHub Actions matrix, a Tekton matrix) take disjoint shares with no
 * coordination. K is 0-based, so JOB_COMPLETION_INDEX can be passed as it is.
 */
import { createHash } from 'node:crypto'
import { LadingError } from '../errors.js'
import { parseReference } from '../oci/index.js'

/** A parsed shard. */
export interface Shard { index: number; count: number }

/** Parses `K/N` (0 ≤ K < N); throws ERR_USAGE otherwise. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  const index = m ? Number(m[1]) : NaN
  const count = m ? Number(m[2]) : NaN
  if (!m || count < 1 || index >= count) throw new LadingError('ERR_USAGE', `--shard must be K/N with 0 ≤ K < N (K is 0-based, e.g. 0/4 … 3/4), got ${JSON.stringify(text)}`)
  return { index, count }
}

/** An image's canonical name (`registry/repo:tag`, `:latest` added), or the name as written when it does not parse. */
export function imageName(tag: string): string {
  if (tag.startsWith('oci:')) return tag
  try {
    const r = parseReference(tag)
    return r.digest ? r.toString() : `${r.name()}:${r.tag ?? 'latest'}`
  } catch {
    return tag // an invalid name is planned (and reported) by whichever shard it hashes to as written
  }
}

/** The shard (0 … count-1) an image belongs to: the first 32 bits of sha256 of its canonical name, mod count. */
export function shardOf(tag: string, count: number): number {
  return createHash('sha256').update(imageName(tag)).digest().readUInt32BE(0) % count
}

/** The items of `shard`, in their original order. */
export function selectShard<T extends { tag: string }>(items: readonly T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((i) => shardOf(i.tag, shard.count) === shard.index) : [...items]
}
