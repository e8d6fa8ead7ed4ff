import t from 'tap'
import { chmod, link, mkdir, readFile, readdir, symlink, utimes, writeFile, open, rm, chown } from 'node:fs/promises'
import { execFileSync, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { sha256 } from '../../lib/digest/index.js'
import { MediaTypes } from '../../lib/oci/index.js'
import { layerFromDirectory, UnsupportedFileTypeError } from '../../lib/layer/index.js'
import { listTar, systemTarList, tempDir } from './helpers.js'

/** A small tree with the interesting kinds of entries. */
async function makeTree(dir: string, order: 'forward' | 'reverse' = 'forward'): Promise<void> {
  const files: Array<[string, string]> = [
    ['a.txt', 'alpha\n'], ['b/c.txt', 'charlie\n'], ['b/d/e.bin', 'echo'], ['Z-upper', 'zulu'], ['é-accent', 'non-ascii'],
  ]
  if (order === 'reverse') files.reverse()
  for (const [p, c] of files) {
    await mkdir(join(dir, p, '..'), { recursive: true })
    await writeFile(join(dir, p), c)
  }
  await chmod(join(dir, 'b/d/e.bin'), 0o750)
  await symlink('../a.txt', join(dir, 'b/link-to-a'))
  await symlink('/etc/passwd', join(dir, 'abs-link'))
  await link(join(dir, 'a.txt'), join(dir, 'b/hard-a'))
}

t.test('archives a tree under target with parents, sorted, normalized', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(src)
  await makeTree(src)
  await chmod(src, 0o750)
  const layer = await layerFromDirectory(src, { target: '/layers/bp/name', storeDir: join(tmp, 'store'), uid: 1000, gid: 1001 })
  const entries = await listTar(await readFile(layer.path))
  t.same(entries.map((e) => e.name), [
    'layers/', 'layers/bp/', 'layers/bp/name/',
    'layers/bp/name/Z-upper', 'layers/bp/name/a.txt', 'layers/bp/name/abs-link',
    'layers/bp/name/b/', 'layers/bp/name/b/c.txt', 'layers/bp/name/b/d/', 'layers/bp/name/b/d/e.bin',
    'layers/bp/name/b/hard-a', 'layers/bp/name/b/link-to-a', 'layers/bp/name/é-accent',
  ])
  const by = new Map(entries.map((e) => [e.name, e]))
  for (const p of ['layers/', 'layers/bp/']) {
    t.match(by.get(p), { type: 'directory', uid: 0, gid: 0, mode: 0o755 }, `parent ${p}`)
  }
  t.match(by.get('layers/bp/name/'), { type: 'directory', uid: 1000, gid: 1001, mode: 0o750 })
  t.match(by.get('layers/bp/name/b/d/e.bin'), { type: 'file', mode: 0o750, uid: 1000, gid: 1001 })
  t.equal(by.get('layers/bp/name/b/d/e.bin')?.content.toString(), 'echo')
  t.match(by.get('layers/bp/name/b/link-to-a'), { type: 'symlink', linkname: '../a.txt', size: 0 })
  t.match(by.get('layers/bp/name/abs-link'), { type: 'symlink', linkname: '/etc/passwd' })
  t.match(by.get('layers/bp/name/b/hard-a'), { type: 'link', linkname: 'layers/bp/name/a.txt', size: 0 })
  t.equal(by.get('layers/bp/name/é-accent')?.content.toString(), 'non-ascii')
  for (const e of entries) {
    t.equal(e.mtime, Date.parse('1980-01-01T00:00:01Z'), `mtime of ${e.name}`)
    t.equal(e.uname, '')
    t.equal(e.gname, '')
  }
  t.equal(layer.mediaType, MediaTypes.OCI_LAYER_GZIP)
  t.same(layer.descriptor(), { mediaType: MediaTypes.OCI_LAYER_GZIP, digest: layer.digestValue, size: layer.sizeValue })
})

t.test('diffID, digest and size equal an independent check; GNU tar reads it', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(src)
  await makeTree(src)
  const mtime = new Date('2020-05-06T07:08:09Z')
  const layer = await layerFromDirectory(src, { target: '/workspace', storeDir: join(tmp, 'store'), uid: 42, gid: 43, mtime })
  const blob = await readFile(layer.path)
  t.equal(layer.path, join(tmp, 'store', 'sha256', layer.digestValue.slice(7)))
  t.equal(layer.digestValue, sha256(blob))
  t.equal(layer.sizeValue, blob.length)
  t.equal(layer.diffIdValue, sha256(gunzipSync(blob)))
  t.same([...blob.subarray(3, 8)], [0, 0, 0, 0, 0], 'gzip header: no FNAME flag, MTIME 0')
  t.equal(await layer.digest(), layer.digestValue)
  t.equal(await layer.diffId(), layer.diffIdValue)
  t.equal(await layer.size(), blob.length)
  const lines = systemTarList(layer.path)
  t.equal(lines.length, 11)
  t.match(lines[0], /^drwxr-xr-x 42\/43 +0 2020-05-06 07:08:09 workspace\/$/)
  t.match(lines.find((l) => l.includes('workspace/a.txt')), /^-rw-r--r-- 42\/43 +6 2020-05-06 07:08:09 workspace\/a\.txt$/)
  t.match(lines.find((l) => l.includes('hard-a')), /^hrw-r--r-- 42\/43 .* workspace\/b\/hard-a link to workspace\/a\.txt$/)
  t.match(lines.find((l) => l.includes('link-to-a')), /^lrwxrwxrwx 42\/43 .* workspace\/b\/link-to-a -> \.\.\/a\.txt$/)
  t.ok(lines.some((l) => l.endsWith('workspace/é-accent')))
  // No entry is absolute, and the blob's compressed stream re-reads identically.
  t.notOk(lines.some((l) => / \//.test(l.split(/ +/)[5] ?? '')))
  const again = await layer.compressed()
  const chunks: Buffer[] = []
  for await (const c of again) chunks.push(c as Buffer)
  t.ok(Buffer.concat(chunks).equals(blob))
  const un: Buffer[] = []
  for await (const c of await layer.uncompressed()) un.push(c as Buffer)
  t.equal(sha256(Buffer.concat(un)), layer.diffIdValue)
})

t.test('same tree gives the same digest across creation order, mtimes, atimes and owners', async (t) => {
  const tmp = await tempDir(t)
  const a = join(tmp, 'a')
  const b = join(tmp, 'b')
  await mkdir(a)
  await mkdir(b)
  await makeTree(a, 'forward')
  await makeTree(b, 'reverse')
  // Different creation order: on file systems whose readdir follows creation, listings differ.
  for (const n of ['m3', 'm1', 'm2']) await writeFile(join(a, n), n)
  for (const n of ['m2', 'm3', 'm1']) await writeFile(join(b, n), n)
  await utimes(join(b, 'a.txt'), new Date('2011-01-01'), new Date('2012-01-01'))
  await utimes(join(b, 'b'), new Date('2013-01-01'), new Date('2014-01-01'))
  if (process.getuid?.() === 0) await chown(join(b, 'm1'), 1234, 5678)
  const one = await layerFromDirectory(a, { target: '/workspace', storeDir: join(tmp, 'store1') })
  const two = await layerFromDirectory(b, { target: '/workspace', storeDir: join(tmp, 'store2') })
  const three = await layerFromDirectory(a, { target: '/workspace', storeDir: join(tmp, 'store1') })
  t.equal(one.diffIdValue, two.diffIdValue)
  t.equal(one.digestValue, two.digestValue)
  t.equal(one.sizeValue, two.sizeValue)
  t.equal(three.digestValue, one.digestValue)
  t.same((await readdir(join(tmp, 'store1', 'sha256'))), [one.digestValue.slice(7)], 'no temp file left, one blob')
  // A content change does change it.
  await writeFile(join(b, 'a.txt'), 'changed')
  const four = await layerFromDirectory(b, { target: '/workspace', storeDir: join(tmp, 'store2') })
  t.not(four.diffIdValue, one.diffIdValue)
})

t.test('the digest does not depend on thread timing, pool size or core count', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(join(src, 'small'), { recursive: true })
  // Compressible and incompressible blocks, and blocks that mix both, many of them in flight.
  const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i % 977} of the layer\n`).join(''))
  await writeFile(join(src, 'text.log'), text)
  await writeFile(join(src, 'noise.bin'), randomBytes(1_500_000))
  for (let i = 0; i < 60; i++) await writeFile(join(src, 'small', `f${i}`), i % 2 ? randomBytes(1000 + i * 300) : text.subarray(i * 1000, i * 1000 + 5000))
  const here = await layerFromDirectory(src, { target: '/app', storeDir: join(tmp, 'store') })
  const script = `import { layerFromDirectory } from ${JSON.stringify(join(process.cwd(), 'lib/layer/index.ts'))}
    const l = await layerFromDirectory(process.argv[1], { target: '/app', storeDir: process.argv[2] })
    process.stdout.write(l.digestValue)`
  const runs: Array<[string, string[], Record<string, string>]> = [
    ['one pool thread', [], { UV_THREADPOOL_SIZE: '1' }],
    ['sixteen pool threads', [], { UV_THREADPOOL_SIZE: '16' }],
  ]
  if (spawnSync('taskset', ['-c', '0', 'true']).status === 0) runs.push(['one core', ['taskset', '-c', '0'], {}])
  for (const [what, prefix, env] of runs) {
    const argv = [...prefix, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, src, join(tmp, `store-${what}`)]
    const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8' })
    t.equal(r.stdout, here.digestValue, `${what}: same digest${r.status ? ` (exit ${r.status}: ${r.stderr})` : ''}`)
  }
})

t.test('mode normalization keeps permission, setuid/setgid and sticky bits only', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(join(src, 'sticky'), { recursive: true })
  await writeFile(join(src, 'none'), '')
  await writeFile(join(src, 'suid'), 'x')
  await chmod(join(src, 'none'), 0o000)
  await chmod(join(src, 'suid'), 0o4755)
  await chmod(join(src, 'sticky'), 0o1777)
  const layer = await layerFromDirectory(src, { target: '/', storeDir: join(tmp, 'store') })
  const by = new Map((await listTar(await readFile(layer.path))).map((e) => [e.name, e]))
  t.same([...by.keys()], ['none', 'sticky/', 'suid'], 'target / emits no root entry')
  t.equal(by.get('none')?.mode, 0, 'mode 0 stays 0 (no library default)')
  t.equal(by.get('suid')?.mode, 0o4755)
  t.equal(by.get('sticky/')?.mode, 0o1777)
})

t.test('exclude skips paths and does not descend excluded directories', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await makeTree((await mkdir(src), src))
  const seen: string[] = []
  const layer = await layerFromDirectory(src, {
    target: '/w', storeDir: join(tmp, 'store'),
    exclude: (p) => { seen.push(p); return p === 'b' || p.endsWith('.txt') },
  })
  const names = (await listTar(await readFile(layer.path))).map((e) => e.name)
  t.same(names, ['w/', 'w/Z-upper', 'w/abs-link', 'w/é-accent'])
  t.notOk(seen.some((p) => p.startsWith('b/')), 'nothing under b/ was offered')
})

t.test('long and non-ASCII names and link targets survive (PAX)', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  const deep = join(src, 'd'.repeat(120), 'ü'.repeat(40))
  await mkdir(deep, { recursive: true })
  const longName = 'f'.repeat(200)
  await writeFile(join(deep, longName), 'long')
  await symlink('t'.repeat(150), join(src, 'longlink'))
  const layer = await layerFromDirectory(src, { target: '/x', storeDir: join(tmp, 'store') })
  const names = (await listTar(await readFile(layer.path))).map((e) => e.name)
  t.ok(names.includes(`x/${'d'.repeat(120)}/${'ü'.repeat(40)}/${longName}`))
  const lines = systemTarList(layer.path)
  t.ok(lines.some((l) => l.endsWith(`/${longName}`)), 'GNU tar reads the long name')
  t.ok(lines.some((l) => l.endsWith(`x/longlink -> ${'t'.repeat(150)}`)), 'GNU tar reads the long link target')
})

t.test('sockets are skipped; FIFOs fail with UnsupportedFileTypeError', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(src)
  await writeFile(join(src, 'keep'), 'k')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(join(src, 'sock'), resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const layer = await layerFromDirectory(src, { target: '/s', storeDir: join(tmp, 'store') })
  t.same((await listTar(await readFile(layer.path))).map((e) => e.name), ['s/', 's/keep'])

  execFileSync('mkfifo', [join(src, 'pipe')])
  const err = await layerFromDirectory(src, { target: '/s', storeDir: join(tmp, 'store2') }).catch((e: unknown) => e)
  t.ok(err instanceof Error && (err as { code?: string }).code === 'ERR_LAYER_UNSUPPORTED_FILE', 'fifo refused')
  t.match((err as Error).message, /FIFO .*pipe/)
  t.ok(((err as Error).cause as Error) instanceof UnsupportedFileTypeError)
  const left = await readdir(join(tmp, 'store2', 'sha256')).catch(() => [])
  t.same(left, [], 'no temp or partial blob left')
  // Excluding it is the way out.
  const ok = await layerFromDirectory(src, { target: '/s', storeDir: join(tmp, 'store3'), exclude: (p) => p === 'pipe' })
  t.ok(ok.digestValue)
})

t.test('rejects bad targets and non-directories', async (t) => {
  const tmp = await tempDir(t)
  await writeFile(join(tmp, 'file'), 'x')
  await t.rejects(layerFromDirectory(tmp, { target: 'relative', storeDir: join(tmp, 's') }), { code: 'ERR_LAYER_INVALID_PATH' })
  await t.rejects(layerFromDirectory(tmp, { target: '/a/../b', storeDir: join(tmp, 's') }), { code: 'ERR_LAYER_INVALID_PATH' })
  await t.rejects(layerFromDirectory(join(tmp, 'file'), { target: '/a', storeDir: join(tmp, 's') }), { code: 'ERR_LAYER_NOT_A_DIRECTORY' })
  await t.rejects(layerFromDirectory(join(tmp, 'missing'), { target: '/a', storeDir: join(tmp, 's') }), /layer from .*missing/)
})

t.test('a 200 MiB file streams with flat memory', async (t) => {
  const tmp = await tempDir(t)
  const src = join(tmp, 'src')
  await mkdir(src)
  const fh = await open(join(src, 'big.bin'), 'w')
  const chunk = randomBytes(1024 * 1024)
  for (let i = 0; i < 200; i++) {
    chunk[0] = i
    await fh.write(chunk)
  }
  await fh.close()
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 25)
  const layer = await layerFromDirectory(src, { target: '/big', storeDir: join(tmp, 'store'), gzipLevel: 1 })
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().rss)
  const growthMiB = (peak - before) / 2 ** 20
  t.ok(growthMiB < 150, `RSS growth ${growthMiB.toFixed(1)} MiB stays under 150 MiB`)
  t.ok(layer.sizeValue > 200 * 2 ** 20, 'random data does not shrink')
  await rm(src, { recursive: true })
})
