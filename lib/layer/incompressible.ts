/** Which gzip blocks are not worth deflating, judged from their bytes alone (never from timing, so
 * the blob's digest depends only on the layer's bytes), and how such a block is written instead:
 * as stored deflate blocks. Deflate spends ~9 ms of CPU per 128 KiB of random or already-compressed
 * bytes to save under 1%; this check costs ~0.1 ms.
 */

/** Uncompressed bytes per gzip block (pigz's default): big enough that the flush markers cost ~nothing. */
export const GZIP_BLOCK_SIZE = 128 * 1024
/** Deflate's window: how far back a match can reach, and so how much of the previous block is a block's dictionary. */
export const WINDOW = 32 * 1024

// A block is stored when its order-0 entropy (estimated from every 8th byte: 16,384 samples of a
// random block estimate 7.989 ± 0.0015) is above this, in bits per byte (Huffman coding could
// save at most ~0.6%), and it repeats nothing of itself or of its dictionary that LZ77 matching
// could use (see hasRepeats).
const STORE_ENTROPY = 7.95
const MIN_STORE_BLOCK = 4096
const SAMPLE_EVERY = 8
const LOG2 = new Float64Array(GZIP_BLOCK_SIZE / SAMPLE_EVERY + 1).map((_, i) => (i ? i * Math.log2(i) : 0))
// Repeat probes: every zero byte is an anchor and the 6 bytes after it are its key. Anchors are
// chosen by content, not by position, so both copies of a repeated run have their anchors at the
// same places in it; a flat-histogram block has one anchor per ~256 bytes, so a repeat of 1 KiB
// goes unnoticed with probability ~e^-4. More anchors than a flat block could have means a skewed
// block: leave it to deflate.
const KEY = 6
const MAX_ANCHORS = (4 * (GZIP_BLOCK_SIZE + WINDOW)) / 256
// Anchor keys seen, open addressing: slot i holds bytes 1..4 after the anchor at 2i and bytes 5..6
// (plus one, so that 0 means empty) at 2i+1. Twice as many slots as anchors can be.
const SLOTS = 4096
const seen = new Int32Array(2 * SLOTS)

/** Whether deflate could not shrink `block` by more than ~1%, judged from its bytes only. */
export function isIncompressible(block: Uint8Array, dictionary: Uint8Array | undefined): boolean {
  const n = block.length
  if (n < MIN_STORE_BLOCK || n > GZIP_BLOCK_SIZE) return false
  const hist = new Int32Array(256)
  let samples = 0
  // Text and code give themselves away in the first 16 KiB: stop there (a 2,048-sample estimate
  // of random bytes is ~7.9 bits, far above this first bar).
  for (let i = 0; i < n; i += SAMPLE_EVERY, samples++) {
    hist[block[i]!]!++
    if (samples === 2048 && entropy(hist, samples) < 7) return false
  }
  if (entropy(hist, samples) < STORE_ENTROPY) return false
  return !hasRepeats(Buffer.from(block.buffer, block.byteOffset, block.byteLength), dictionary)
}

// Order-0 entropy in bits per byte of k samples: log2(k) - sum(c log2 c) / k.
function entropy(hist: Int32Array, k: number): number {
  let sum = 0
  for (let i = 0; i < 256; i++) sum += LOG2[hist[i]!]!
  return Math.log2(k) - sum / k
}

// True when an anchor's key in `block` equals an earlier anchor's key in the block or in the
// dictionary. Anchors are found by native searches (indexOf) and looked up in a typed hash table,
// so a random block costs ~25 µs instead of a byte-by-byte match finder.
function hasRepeats(block: Buffer, dictionary: Uint8Array | undefined): boolean {
  seen.fill(0)
  const count = { n: 0 }
  if (dictionary && anchors(Buffer.from(dictionary.buffer, dictionary.byteOffset, dictionary.byteLength), count, false)) return true
  return anchors(block, count, true)
}

function anchors(buf: Buffer, count: { n: number }, check: boolean): boolean {
  const end = buf.length - KEY
  for (let at = buf.indexOf(0); at >= 0 && at < end; at = buf.indexOf(0, at + 1)) {
    const k1 = buf[at + 1]! | (buf[at + 2]! << 8) | (buf[at + 3]! << 16) | (buf[at + 4]! << 24)
    const k2 = (buf[at + 5]! | (buf[at + 6]! << 8)) + 1
    if (++count.n > MAX_ANCHORS) return true
    for (let h = (Math.imul(k1 ^ (k2 << 16), 0x9e3779b1) >>> 20) << 1; ; h = (h + 2) & (2 * SLOTS - 1)) {
      if (seen[h + 1] === 0) {
        seen[h] = k1
        seen[h + 1] = k2
        break
      }
      if (check && seen[h] === k1 && seen[h + 1] === k2) return true
    }
  }
  return false
}

/**
 * `block` as stored deflate blocks (RFC 1951 §3.2.4), the stream before being byte-aligned (sync
 * flush): a 5-byte header per piece of at most 65,535 bytes, and the pieces themselves as views
 * of `block` (not copies: they are valid as long as `block` is).
 */
export function storedBlocks(block: Uint8Array, last: boolean): Uint8Array[] {
  const count = Math.max(1, Math.ceil(block.length / 0xffff))
  const headers = Buffer.allocUnsafe(5 * count)
  const parts: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const part = block.subarray(i * 0xffff, (i + 1) * 0xffff)
    const h = headers.subarray(5 * i, 5 * i + 5)
    h[0] = last && i === count - 1 ? 1 : 0
    h.writeUInt16LE(part.length, 1)
    h.writeUInt16LE(~part.length & 0xffff, 3)
    parts.push(h, part)
  }
  return parts
}
