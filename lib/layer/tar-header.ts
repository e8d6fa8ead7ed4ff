/** Tar header bytes for the entries lading writes, byte for byte what tar-stream 3 writes (so layer
 * diffIDs did not change when the writer stopped going through tar-stream's streams): ustar, with a
 * PAX header in front when a name, link name or id does not fit.
 */

/** The entry types lading writes. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'link'

/** Everything a header says; `name` already ends in `/` for a directory. */
export interface HeaderFields {
  name: string
  type: EntryType
  /** Only `mode & 0o7777` is written. */
  mode: number
  uid: number
  gid: number
  size: number
  /** Whole seconds since the epoch. */
  mtime: number
  /** '' when the entry is not a link. */
  linkname: string
  /** Extra PAX records (e.g. uid and gid above ustar's 6 octal digits); forces a PAX header. */
  pax?: Record<string, string>
}

const BLOCK = 512
const TYPEFLAG: Record<EntryType | 'pax-header', number> = { file: 0x30, link: 0x31, symlink: 0x32, directory: 0x35, 'pax-header': 0x30 + 72 }
const USTAR = Buffer.from('ustar\x0000', 'latin1')

/** Zero bytes that pad an entry of `size` bytes to a whole 512-byte block (empty when it already is). */
export function paddingLength(size: number): number {
  const r = size % BLOCK
  return r === 0 ? 0 : BLOCK - r
}

/**
 * The bytes before an entry's content: one ustar header, or (when `pax` is given or the name or
 * link name does not fit ustar) a PAX header, its records padded to a block, then a ustar header
 * named `PaxHeader`, as tar-stream does it.
 */
export function encodeHeader(h: HeaderFields): Buffer {
  if (!h.pax) {
    const plain = ustar(h.name, h.linkname, h.type, h.size, h)
    if (plain) return plain
  }
  let records = ''
  if (h.name) records += paxRecord(` path=${h.name}\n`)
  if (h.linkname) records += paxRecord(` linkpath=${h.linkname}\n`)
  for (const key in h.pax) records += paxRecord(` ${key}=${h.pax[key]}\n`)
  const body = Buffer.from(records)
  const link = h.linkname ? 'PaxHeader' : ''
  const out = Buffer.alloc(2 * BLOCK + body.length + paddingLength(body.length))
  ustar('PaxHeader', link, 'pax-header', body.length, h)!.copy(out, 0)
  body.copy(out, BLOCK)
  ustar('PaxHeader', link, h.type, h.size, h)!.copy(out, out.length - BLOCK)
  return out
}

// tar-stream's headers.encode: null when the name or link name cannot be written in ustar fields.
function ustar(fullName: string, linkname: string, type: EntryType | 'pax-header', size: number, h: HeaderFields): Buffer | null {
  let name = fullName
  let prefix = ''
  if (Buffer.byteLength(name) !== name.length) return null
  while (name.length > 100) {
    const i = name.indexOf('/')
    if (i === -1) return null
    prefix += prefix ? `/${name.slice(0, i)}` : name.slice(0, i)
    name = name.slice(i + 1)
  }
  if (name.length > 100 || prefix.length > 155) return null
  if (linkname && Buffer.byteLength(linkname) > 100) return null
  const buf = Buffer.alloc(BLOCK)
  buf.write(name, 0, 'latin1')
  buf.write(octal(h.mode & 0o7777, 6), 100, 'latin1')
  buf.write(octal(h.uid, 6), 108, 'latin1')
  buf.write(octal(h.gid, 6), 116, 'latin1')
  if (size.toString(8).length > 11) base256(size, buf, 124)
  else buf.write(octal(size, 11), 124, 'latin1')
  buf.write(octal(h.mtime, 11), 136, 'latin1')
  buf[156] = TYPEFLAG[type]
  if (linkname) buf.write(linkname, 157)
  USTAR.copy(buf, 257)
  buf.write(octal(0, 6), 329, 'latin1')
  buf.write(octal(0, 6), 337, 'latin1')
  if (prefix) buf.write(prefix, 345, 'latin1')
  buf.write(octal(checksum(buf), 6), 148, 'latin1')
  return buf
}

// n octal digits and a space; all sevens when the value does not fit (the reader then needs PAX).
function octal(v: number, n: number): string {
  const s = v.toString(8)
  return s.length > n ? `${'7'.repeat(n)} ` : `${s.padStart(n, '0')} `
}

// Sizes of 8 GiB and more: 0x80 then the value big-endian in the 11 other bytes of the field.
function base256(v: number, buf: Buffer, off: number): void {
  buf[off] = 0x80
  for (let i = 11; i > 0; i--) {
    buf[off + i] = v % 256
    v = Math.floor(v / 256)
  }
}

// Sum of the header bytes with the checksum field counted as eight spaces.
function checksum(buf: Buffer): number {
  let sum = 8 * 32
  for (let i = 0; i < 148; i++) sum += buf[i]!
  for (let i = 156; i < BLOCK; i++) sum += buf[i]!
  return sum
}

// A PAX record is "<length> <key>=<value>\n" where <length> counts its own digits too; the digit
// count is computed exactly as tar-stream does.
function paxRecord(str: string): string {
  const len = Buffer.byteLength(str)
  let digits = Math.floor(Math.log(len) / Math.log(10)) + 1
  if (len + digits >= Math.pow(10, digits)) digits++
  return `${len + digits}${str}`
}
