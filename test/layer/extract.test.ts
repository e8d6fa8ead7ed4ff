import t from 'tap'
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { extractLayer, layerFromDirectory, UnsafePathError } from '../../lib/layer/index.js'
import { rawTar, streamOf, tempDir, type RawEntry } from './helpers.js'

async function extract(entries: RawEntry[], dest: string, opts = {}) {
  return extractLayer(streamOf(await rawTar(entries)), dest, opts)
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(() => true, () => false)
}

t.test('round-trips a layer made by layerFromDirectory', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(join(src, 'dir/sub'), { recursive: true })
  await writeFile(join(src, 'dir/sub/f'), 'file')
  await writeFile(join(src, 'x'), 'x', { mode: 0o751 })
  await symlink('dir/sub/f', join(src, 'ln'))
  const { link } = await import('node:fs/promises')
  await link(join(src, 'x'), join(src, 'x2'))
  const layer = await layerFromDirectory(src, { target: '/app/w', storeDir: join(tmp, 'store'), mtime: new Date('2003-04-05T06:07:08Z') })
  const dest = join(tmp, 'dest')
  const r = await extractLayer(await layer.uncompressed(), dest)
  t.equal(r.entries, 8)
  const w = join(dest, 'app/w')
  t.equal(await readFile(join(w, 'dir/sub/f'), 'utf8'), 'file')
  t.equal((await stat(join(w, 'x'))).mode & 0o7777, 0o751)
  t.equal(await readlink(join(w, 'ln')), 'dir/sub/f')
  t.equal((await stat(join(w, 'x2'))).ino, (await stat(join(w, 'x'))).ino, 'hard link restored')
  for (const p of ['app', 'app/w', 'app/w/dir', 'app/w/dir/sub', 'app/w/x', 'app/w/dir/sub/f']) {
    t.equal((await lstat(join(dest, p))).mtime.toISOString(), '2003-04-05T06:07:08.000Z', `mtime of ${p}`)
  }
  t.equal((await lstat(join(w, 'ln'))).mtime.toISOString(), '2003-04-05T06:07:08.000Z', 'symlink mtime (lutimes)')
  t.same((await readdir(w)).filter((n) => n.startsWith('.lading-tmp')), [], 'no temp files left')
})

t.test('refuses entries that escape the destination, naming the entry', async (t) => {
  const tmp = await tempDir(t)
  const outside = join(tmp, 'outside')
  await mkdir(outside)
  const probe = `lading-escape-probe-${process.pid}-${Date.now()}`
  const cases: Array<[string, RawEntry[], string, RegExp]> = [
    ['dot-dot', [{ name: '../x', content: 'evil' }], '../x', /"\.\.\/x": path contains a "\.\." component/],
    ['absolute', [{ name: '/abs', content: 'evil' }], '/abs', /"\/abs": absolute path/],
    ['inner dot-dot', [{ name: 'a/../../x', content: 'evil' }], 'a/../../x', /\.\./],
    ['symlink escape', [{ name: 'link', type: 'symlink', linkname: outside }, { name: 'link/file', content: 'evil' }],
      'link/file', /"link\/file": parent link is a symlink that resolves outside/],
    ['symlink to /tmp', [{ name: 'link', type: 'symlink', linkname: '/tmp' }, { name: `link/${probe}`, content: 'evil' }],
      `link/${probe}`, /parent link is a symlink that resolves outside/],
    ['relative symlink escape', [{ name: 'd/', type: 'directory' }, { name: 'd/up', type: 'symlink', linkname: '../../outside' },
      { name: 'd/up/file', content: 'evil' }], 'd/up/file', /resolves outside/],
    ['symlink chain escape', [{ name: 'l1', type: 'symlink', linkname: 'l2' }, { name: 'l2', type: 'symlink', linkname: outside },
      { name: 'l1/f', content: 'evil' }], 'l1/f', /resolves outside/],
    ['hardlink escape', [{ name: 'h', type: 'link', linkname: '../outside/secret' }], 'h', /hard link target "\.\.\/outside\/secret"/],
    ['hardlink absolute', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], 'h', /hard link target "\/etc\/passwd": absolute/],
    ['hardlink through symlink', [{ name: 'l', type: 'symlink', linkname: outside }, { name: 'h', type: 'link', linkname: 'l/secret' }],
      'h', /resolves outside/],
    ['whiteout of parent', [{ name: 'a/.wh...', content: '' }], 'a/.wh...', /whiteout of "\.\."/],
  ]
  await writeFile(join(outside, 'secret'), 'secret')
  for (const [label, entries, entry, why] of cases) {
    const dest = join(tmp, `dest-${label.replace(/ /g, '-')}`)
    const err = await extract(entries, dest).catch((e: unknown) => e)
    t.ok(err instanceof UnsafePathError, `${label}: UnsafePathError`)
    t.equal((err as UnsafePathError).code, 'ERR_LAYER_UNSAFE_PATH', label)
    t.equal((err as UnsafePathError).entry, entry, `${label}: names the entry`)
    t.match((err as Error).message, why, label)
  }
  t.same((await readdir(outside)).sort(), ['secret'], 'nothing written outside')
  t.equal(await readFile(join(outside, 'secret'), 'utf8'), 'secret')
  t.notOk(await exists(join(tmp, 'x')))
  t.notOk(await exists(join('/tmp', probe)), 'nothing written through link -> /tmp')
})

t.test('symlinks that stay inside may be written through', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  await extract([
    { name: 'usr/', type: 'directory' }, { name: 'usr/lib/', type: 'directory' },
    { name: 'lib', type: 'symlink', linkname: 'usr/lib' }, { name: 'lib/libc.so', content: 'c' },
    { name: 'abs', type: 'symlink', linkname: '/etc' },
  ], dest)
  t.equal(await readFile(join(dest, 'usr/lib/libc.so'), 'utf8'), 'c')
  t.equal(await readlink(join(dest, 'abs')), '/etc', 'symlink targets are kept verbatim, never followed')
})

t.test('whiteouts delete lower content and are not written', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  await extract([
    { name: 'a/', type: 'directory' }, { name: 'a/gone', content: '1' }, { name: 'a/keep', content: '2' },
    { name: 'a/dir/', type: 'directory' }, { name: 'a/dir/f', content: '3' },
    { name: 'b/', type: 'directory' }, { name: 'b/old', content: 'old' }, { name: 'b/sub/', type: 'directory' }, { name: 'b/sub/old', content: 'o' },
  ], dest)
  const r = await extract([
    { name: 'a/.wh.gone', content: '' }, { name: 'a/.wh.dir', content: '' }, { name: 'a/.wh.never-there', content: '' },
    { name: 'b/', type: 'directory' }, { name: 'b/new', content: 'new' }, { name: 'b/sub/', type: 'directory' },
    { name: 'b/sub/mine', content: 'm' }, { name: 'b/.wh..wh..opq', content: '' },
    { name: 'missing/.wh.x', content: '' },
  ], dest)
  t.equal(r.entries, 9)
  t.same((await readdir(join(dest, 'a'))).sort(), ['keep'])
  t.same((await readdir(join(dest, 'b'))).sort(), ['new', 'sub'], 'opaque removed lower, kept this layer (even when it came first)')
  t.same(await readdir(join(dest, 'b/sub')), ['mine'], 'lower content of a re-declared dir is hidden too')
  t.notOk(await exists(join(dest, 'missing')), 'a whiteout in a missing dir creates nothing')

  const raw = join(tmp, 'raw')
  await extract([{ name: 'd/.wh.x', content: '' }, { name: 'd/.wh..wh..opq', content: '' }], raw, { applyWhiteouts: false })
  t.same((await readdir(join(raw, 'd'))).sort(), ['.wh..wh..opq', '.wh.x'], 'applyWhiteouts: false writes them as files')
  await t.rejects(extract([{ name: 'd/.wh.', content: '' }], join(tmp, 'bare')), { code: 'ERR_LAYER_INVALID_WHITEOUT' })
})

t.test('replacing existing paths: dir keeps contents, others are replaced', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  const outside = join(tmp, 'outside')
  await mkdir(outside)
  await extract([
    { name: 'd/', type: 'directory', mode: 0o700 }, { name: 'd/child', content: 'c' },
    { name: 'f', content: 'file' }, { name: 'becomes-dir', content: 'x' }, { name: 'dir-becomes-file/', type: 'directory' },
    { name: 'dir-becomes-file/inner', content: 'i' }, { name: 'sl', type: 'symlink', linkname: outside },
  ], dest)
  await extract([
    { name: 'd/', type: 'directory', mode: 0o751 },
    { name: 'f', type: 'symlink', linkname: 'd' },
    { name: 'becomes-dir/', type: 'directory' },
    { name: 'dir-becomes-file', content: 'now a file', mode: 0o600 },
    { name: 'sl', content: 'replaced the link, not its target' },
  ], dest)
  t.equal((await stat(join(dest, 'd'))).mode & 0o7777, 0o751, 'dir mode updated')
  t.equal(await readFile(join(dest, 'd/child'), 'utf8'), 'c', 'dir contents kept')
  t.equal(await readlink(join(dest, 'f')), 'd')
  t.ok((await lstat(join(dest, 'becomes-dir'))).isDirectory())
  t.equal(await readFile(join(dest, 'dir-becomes-file'), 'utf8'), 'now a file')
  t.equal((await stat(join(dest, 'dir-becomes-file'))).mode & 0o7777, 0o600)
  t.ok((await lstat(join(dest, 'sl'))).isFile())
  t.same(await readdir(outside), [], 'writing over a symlink never writes to its target')
})

t.test('a directory entry over a symlink replaces the link', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  const outside = join(tmp, 'outside')
  await mkdir(outside, { mode: 0o755 })
  await extract([{ name: 'x', type: 'symlink', linkname: outside }, { name: 'x/', type: 'directory', mode: 0o700 }, { name: 'x/f', content: 'in' }], dest)
  t.ok((await lstat(join(dest, 'x'))).isDirectory())
  t.equal(await readFile(join(dest, 'x/f'), 'utf8'), 'in')
  t.same(await readdir(outside), [])
  t.equal((await stat(outside)).mode & 0o777, 0o755, 'the link target was not chmodded')
})

t.test('a failing tar leaves no partial file at the final path', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  const tar = await rawTar([{ name: 'big', content: 'y'.repeat(100_000) }])
  // Cut the archive in the middle of the file's data.
  await t.rejects(extractLayer(streamOf(tar.subarray(0, 50_000)), dest))
  t.same(await readdir(dest), [], 'neither big nor its temp file')
})

t.test('devices and FIFOs are skipped, counted as entries', async (t) => {
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  const r = await extract([{ name: 'p', type: 'fifo' }, { name: 'ok', content: 'ok' }], dest)
  t.equal(r.entries, 2)
  t.same(await readdir(dest), ['ok'])
})

t.test('each dropped device node, FIFO and sparse file is named in a warning saying what was done', async (t) => {
  const tarStream = (await import('tar-stream')).default
  const pack = tarStream.pack()
  const chunks: Buffer[] = []
  const collected = (async () => { for await (const c of pack) chunks.push(c as Buffer) })()
  pack.entry({ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 })
  pack.entry({ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 })
  pack.entry({ name: 'run/pipe', type: 'fifo' })
  pack.entry({ name: 'GNUSparseFile.0/big', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'var/big', 'GNU.sparse.realsize': '1048576' } }, '1\n0\n5\n')
  pack.entry({ name: 'ok' }, 'ok')
  pack.finalize()
  await collected
  const tmp = await tempDir(t)
  const dest = join(tmp, 'dest')
  const warnings: string[] = []
  await extractLayer(streamOf(Buffer.concat(chunks)), dest, { onWarning: (w: string) => warnings.push(w) })
  t.same(warnings, [
    'skipped character device 1:3 "dev/null": not created',
    'skipped block device 8:0 "dev/sda": not created',
    'skipped FIFO "run/pipe": not created',
    'skipped sparse file "var/big": not written (neither sparse nor dense)',
  ])
  t.notOk(await exists(join(dest, 'GNUSparseFile.0')), 'no sparse map written as if it were the file')
  t.equal(await readFile(join(dest, 'ok'), 'utf8'), 'ok')
})

t.test('preserveOwner chowns when running as root; off by default', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const tmp = await tempDir(t)
  const entries: RawEntry[] = [
    { name: 'd/', type: 'directory', uid: 1234, gid: 5678 }, { name: 'd/f', content: 'x', uid: 1234, gid: 5678, mode: 0o4755 },
    { name: 'd/l', type: 'symlink', linkname: 'f', uid: 1234, gid: 5678 },
  ]
  await extract(entries, join(tmp, 'owned'), { preserveOwner: true })
  for (const p of ['d', 'd/f', 'd/l']) {
    const st = await lstat(join(tmp, 'owned', p))
    t.same([st.uid, st.gid], [1234, 5678], p)
  }
  t.equal((await stat(join(tmp, 'owned/d/f'))).mode & 0o7777, 0o4755, 'setuid survives the chown')
  await extract(entries, join(tmp, 'plain'))
  t.equal((await stat(join(tmp, 'plain/d/f'))).uid, process.getuid?.())
})
