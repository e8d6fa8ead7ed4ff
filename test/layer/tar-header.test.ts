import t from 'tap'
import tarStream from 'tar-stream'
import { encodeHeader, paddingLength, type HeaderFields } from '../../lib/layer/tar-header.js'

/** The bytes tar-stream 3 writes before an entry's content (the oracle: layers made before kept their diffIDs). */
async function tarStreamHeader(h: HeaderFields): Promise<Buffer> {
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer) })
  const sink = pack.entry({
    name: h.name, type: h.type, mode: (h.type === 'directory' ? 0o40000 : h.type === 'symlink' ? 0o120000 : 0o100000) | h.mode,
    uid: h.uid, gid: h.gid, size: h.size, mtime: new Date(h.mtime * 1000), linkname: h.linkname, uname: '', gname: '',
    devmajor: 0, devminor: 0, ...(h.pax ? { pax: h.pax } : {}),
  })
  sink.on('error', () => {})
  await new Promise((r) => setImmediate(r))
  pack.destroy()
  return Buffer.concat(chunks)
}

const base: HeaderFields = { name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 5, mtime: 315532801, linkname: '' }
const long = (n: number, c = 'a') => c.repeat(n)

const cases: Array<[string, Partial<HeaderFields>]> = [
  ['a plain file', {}],
  ['a directory', { name: 'd/', type: 'directory', mode: 0o755, size: 0 }],
  ['a symlink', { name: 's', type: 'symlink', mode: 0o777, size: 0, linkname: '../x' }],
  ['a hard link', { name: 'h', type: 'link', size: 0, linkname: 'a/f' }],
  ['setuid, sticky and big ids', { mode: 0o7755, uid: 0o777777, gid: 12345 }],
  ['ids above ustar (PAX)', { uid: 1_000_000, gid: 2_000_000, pax: { uid: '1000000', gid: '2000000' } }],
  ['a 100-byte name', { name: long(100) }],
  ['a long name split into prefix', { name: `${long(60)}/${long(60, 'b')}/${long(90, 'c')}` }],
  ['a long directory name', { name: `${long(150)}/${long(99, 'b')}/`, type: 'directory', size: 0 }],
  ['a name too long for ustar (PAX)', { name: long(300) }],
  ['a prefix too long for ustar (PAX)', { name: `${long(160)}/b` }],
  ['a non-ASCII name (PAX)', { name: 'é-accent' }],
  ['a long link target (PAX)', { name: 'l', type: 'symlink', size: 0, linkname: long(101, 'z') }],
  ['a short non-ASCII link target', { name: 'l', type: 'symlink', size: 0, linkname: 'ünïcode' }],
  ['PAX records of 999/1000 bytes', { name: long(988) }],
  ['a size of 8 GiB and more', { size: 8 * 2 ** 30 + 3 }],
  ['a size just under 8 GiB', { size: 8 * 2 ** 30 - 1 }],
]

t.test('every header is byte for byte what tar-stream writes', async (t) => {
  for (const [what, over] of cases) {
    const h = { ...base, ...over }
    const ours = encodeHeader(h)
    t.equal(ours.length % 512, 0, `${what}: whole blocks`)
    t.ok(ours.equals(await tarStreamHeader(h)), what)
  }
  // The PAX record length counts its own digits: around a power of ten it is easy to get wrong.
  for (let n = 80; n < 120; n++) {
    const h = { ...base, name: long(n * 10) }
    t.ok(encodeHeader(h).equals(await tarStreamHeader(h)), `name of ${n * 10} bytes`)
  }
})

t.test('paddingLength pads to whole blocks', async (t) => {
  t.same([0, 1, 511, 512, 513, 8 * 2 ** 30 + 3].map(paddingLength), [0, 511, 1, 0, 511, 509])
})
