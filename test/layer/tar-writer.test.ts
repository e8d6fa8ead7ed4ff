import t from 'tap'
import { closeSync, openSync } from 'node:fs'
import { writeFile, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { TarWriter, DEFAULT_MTIME, FileChangedError } from '../../lib/layer/index.js'
import type { TarSink } from '../../lib/layer/tar-writer.js'
import { listTar, systemTarList, tempDir } from './helpers.js'

async function collect(w: TarWriter, produce: () => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = []
  const reading = (async () => {
    for await (const c of w.stream) chunks.push(c as Buffer)
  })()
  await produce()
  w.finish()
  await reading
  return Buffer.concat(chunks)
}

t.test('sets every header field explicitly', async (t) => {
  const w = new TarWriter()
  const tar = await collect(w, async () => {
    await w.directory('/a/', { mode: 0o40755, uid: 1, gid: 2 })
    await w.file('a/f', { mode: 0o100000, uid: 3, gid: 4 }, 5, Buffer.from('hello'))
    await w.symlink('a/s', '../x', { mode: 0o777, uid: 0, gid: 0 })
    await w.hardlink('a/h', '/a/f', { mode: 0o644, uid: 0, gid: 0 })
  })
  t.equal(tar.length % 512, 0)
  t.ok(tar.subarray(tar.length - 1024).every((b) => b === 0), 'ends with two zero blocks')
  const e = await listTar(tar)
  t.same(e.map((x) => [x.name, x.type, x.mode, x.uid, x.gid, x.size, x.linkname]), [
    ['a/', 'directory', 0o755, 1, 2, 0, null],
    ['a/f', 'file', 0, 3, 4, 5, null],
    ['a/s', 'symlink', 0o777, 0, 0, 0, '../x'],
    ['a/h', 'link', 0o644, 0, 0, 0, 'a/f'],
  ], 'names relative, dirs end in /, type bits stripped, mode 0 kept, link names relative')
  for (const x of e) {
    t.equal(x.mtime, DEFAULT_MTIME.getTime())
    t.equal(x.uname, '')
    t.equal(x.gname, '')
  }
  // Raw header checks: ustar magic, devmajor/devminor zero, no uname bytes.
  t.equal(tar.subarray(257, 263).toString('latin1'), 'ustar\0')
  t.equal(tar.subarray(265, 265 + 32).every((b) => b === 0), true)
  t.equal(tar.subarray(329, 337).toString('latin1'), '000000 \0')
})

t.test('whole-second mtimes, invalid dates refused', async (t) => {
  const w = new TarWriter({ mtime: new Date('2020-01-01T00:00:00.900Z') })
  const tar = await collect(w, () => w.directory('d', { mode: 0o755, uid: 0, gid: 0 }))
  t.equal((await listTar(tar))[0]?.mtime, Date.parse('2020-01-01T00:00:00Z'))
  t.throws(() => new TarWriter({ mtime: new Date('nope') }), { code: 'ERR_LAYER_INVALID_MTIME' })
  t.throws(() => new TarWriter({ mtime: new Date(-1000) }), { code: 'ERR_LAYER_INVALID_MTIME' })
})

t.test('large uid/gid go into PAX records', async (t) => {
  const w = new TarWriter()
  const tar = await collect(w, () => w.file('f', { mode: 0o644, uid: 1_000_000, gid: 2_000_000 }, 0, new Uint8Array(0)))
  t.ok(tar.includes(Buffer.from(' uid=1000000\n')))
  t.ok(tar.includes(Buffer.from(' gid=2000000\n')))
  const p = join(await tempDir(t), 'x.tar')
  await writeFile(p, tar)
  t.match(systemTarList(p, false)[0], /^-rw-r--r-- 1000000\/2000000 /, 'GNU tar reads the PAX ids')
  await t.rejects(new TarWriter().file('f', { mode: 0, uid: -1, gid: 0 }, 0, new Uint8Array(0)), { code: 'ERR_LAYER_INVALID_ENTRY' })
})

t.test('refuses empty names, empty symlink targets and wrong content sizes, staying usable', async (t) => {
  const w = new TarWriter()
  const tar = await collect(w, async () => {
    await t.rejects(w.directory('/', { mode: 0o755, uid: 0, gid: 0 }), { code: 'ERR_LAYER_INVALID_ENTRY' })
    await t.rejects(w.symlink('s', '', { mode: 0o777, uid: 0, gid: 0 }), { code: 'ERR_LAYER_INVALID_ENTRY' })
    await t.rejects(w.file('f', { mode: 0o644, uid: 0, gid: 0 }, 3, Buffer.from('four')), { code: 'ERR_LAYER_INVALID_ENTRY' })
    await w.file('ok', { mode: 0o644, uid: 0, gid: 0 }, 2, Buffer.from('ok'))
  })
  t.same((await listTar(tar)).map((e) => e.name), ['ok'])
})

t.test('an I/O error while reading a file aborts the stream', async (t) => {
  const tmp = await tempDir(t)
  const fd = openSync(tmp, 'r') // a directory: read() fails with EISDIR
  t.teardown(() => closeSync(fd))
  const w = new TarWriter()
  const reading = (async () => { for await (const _ of w.stream) { /* drain */ } })()
  await t.rejects(w.file('f', { mode: 0o644, uid: 0, gid: 0 }, 10, { fd, path: tmp }), { code: 'EISDIR' })
  await t.rejects(reading, { code: 'EISDIR' })
})

t.test('reads a file in chunks, only as fast as the consumer reads', async (t) => {
  const tmp = await tempDir(t)
  const p = join(tmp, 'f')
  await writeFile(p, Buffer.alloc(3 * 1024 * 1024, 7))
  const fd = openSync(p, 'r')
  t.teardown(() => closeSync(fd))
  const w = new TarWriter()
  let seen = 0
  let maxAhead = 0
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _e, cb) {
      seen += chunk.length
      // What the writer has read but the consumer not yet taken sits in the stream's buffer.
      maxAhead = Math.max(maxAhead, w.stream.readableLength)
      setImmediate(cb)
    },
  })
  const piping = pipeline(w.stream, sink)
  await w.file('f', { mode: 0o644, uid: 0, gid: 0 }, 3 * 1024 * 1024, { fd, path: p })
  w.finish()
  await piping
  t.equal(seen, 3 * 1024 * 1024 + 512 + 1024)
  t.ok(maxAhead < 1024 * 1024, `reads stay close to the consumer (ahead by at most ${maxAhead} bytes)`)
})

t.test('into a sink: file bytes are read straight into its buffers, waiting when it says so', async (t) => {
  const tmp = await tempDir(t)
  const p = join(tmp, 'f')
  const content = Buffer.alloc(100_000)
  for (let i = 0; i < content.length; i++) content[i] = i % 251
  await writeFile(p, content)
  const fd = openSync(p, 'r')
  t.teardown(() => closeSync(fd))
  const got: Buffer[] = []
  let pending: (() => void) | undefined
  let region: Buffer | undefined
  const sink: TarSink = {
    write: (b) => { got.push(Buffer.from(b)); return undefined },
    space: (max) => (region = Buffer.alloc(Math.min(max, 30_000))),
    commit: (n) => {
      got.push(Buffer.from(region!.subarray(0, n)))
      return new Promise<void>((resolve) => { pending = resolve })
    },
  }
  const w = new TarWriter({ sink })
  t.throws(() => w.stream, /sink/, 'no stream when writing to a sink')
  const adding = w.file('f', { mode: 0o644, uid: 0, gid: 0 }, content.length, { fd, path: p })
  await new Promise((r) => setImmediate(r))
  t.equal(got.length, 2, 'header, then one read; nothing more until the sink says so')
  while (pending) {
    const go = pending
    pending = undefined
    go()
    await new Promise((r) => setImmediate(r))
  }
  await adding
  w.finish()
  const tar = Buffer.concat(got)
  t.ok(tar.subarray(512, 512 + content.length).equals(content), 'content right after the header')
  t.same((await listTar(tar)).map((e) => [e.name, e.size]), [['f', content.length]])
})

t.test('a file that shrinks while read fails with FileChangedError', async (t) => {
  const tmp = await tempDir(t)
  const p = join(tmp, 'f')
  await writeFile(p, Buffer.alloc(1000, 1))
  const fd = openSync(p, 'r')
  t.teardown(() => closeSync(fd))
  await truncate(p, 10)
  const w = new TarWriter()
  const reading = (async () => { for await (const _ of w.stream) { /* drain */ } })()
  const err = await w.file('f', { mode: 0o644, uid: 0, gid: 0 }, 1000, { fd, path: p }).catch((e: unknown) => e)
  t.ok(err instanceof FileChangedError)
  t.match((err as Error).message, /expected 1000 bytes, read 10/)
  w.abort(err as Error)
  await t.rejects(reading)
})
