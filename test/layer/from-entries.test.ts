import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { sha256 } from '../../lib/digest/index.js'
import { layerFromEntries, type TarEntry } from '../../lib/layer/index.js'
import { listTar, systemTarList, tempDir } from './helpers.js'

const ENTRIES: TarEntry[] = [
  { path: '/cnb/process/web', type: 'symlink', linkname: '../lifecycle/launcher' },
  { path: '/cnb/lifecycle/launcher', type: 'file', mode: 0o755, content: '#!/bin/sh\nexec "$@"\n' },
  { path: '/cnb/lifecycle/launcher-copy', type: 'link', linkname: '/cnb/lifecycle/launcher' },
  { path: '/etc/app.toml', type: 'file', content: new TextEncoder().encode('a = 1\n'), uid: 7, gid: 8 },
  { path: '/cnb', type: 'directory', mode: 0o750 },
]

t.test('sorted, with parents, same determinism rules; array order does not matter', async (t) => {
  const tmp = await tempDir(t)
  const opts = { storeDir: join(tmp, 'store'), uid: 1000, gid: 1000, parentMode: 0o711 }
  const layer = await layerFromEntries(ENTRIES, opts)
  const reversed = await layerFromEntries([...ENTRIES].reverse(), opts)
  t.equal(reversed.digestValue, layer.digestValue)
  const blob = await readFile(layer.path)
  t.equal(layer.diffIdValue, sha256(gunzipSync(blob)))
  const e = await listTar(blob)
  t.same(e.map((x) => [x.name, x.type, x.mode, x.uid, x.gid]), [
    ['cnb/', 'directory', 0o750, 1000, 1000],
    ['cnb/lifecycle/', 'directory', 0o711, 0, 0],
    ['cnb/lifecycle/launcher', 'file', 0o755, 1000, 1000],
    ['cnb/lifecycle/launcher-copy', 'link', 0o755, 1000, 1000],
    ['cnb/process/', 'directory', 0o711, 0, 0],
    ['cnb/process/web', 'symlink', 0o777, 1000, 1000],
    ['etc/', 'directory', 0o711, 0, 0],
    ['etc/app.toml', 'file', 0o644, 7, 8],
  ])
  t.equal(e[3]?.linkname, 'cnb/lifecycle/launcher')
  t.equal(e[2]?.content.toString(), '#!/bin/sh\nexec "$@"\n')
  const lines = systemTarList(layer.path)
  t.match(lines[2], /^-rwxr-xr-x 1000\/1000 +20 1980-01-01 00:00:01 cnb\/lifecycle\/launcher$/)
})

t.test('rejects malformed entry lists', async (t) => {
  const tmp = await tempDir(t)
  const storeDir = join(tmp, 'store')
  const bad: Array<[string, TarEntry[]]> = [
    ['duplicate', [{ path: '/a', type: 'file' }, { path: '/a/', type: 'file' }]],
    ['relative', [{ path: 'a', type: 'file' }]],
    ['root', [{ path: '/', type: 'directory' }]],
    ['file parent', [{ path: '/a', type: 'file' }, { path: '/a/b', type: 'file' }]],
    ['content on dir', [{ path: '/d', type: 'directory', content: 'x' }]],
    ['symlink without target', [{ path: '/s', type: 'symlink' }]],
    ['link to nothing', [{ path: '/l', type: 'link', linkname: '/missing' }]],
    ['link to dir', [{ path: '/d', type: 'directory' }, { path: '/l', type: 'link', linkname: '/d' }]],
    ['link before target', [{ path: '/a', type: 'link', linkname: '/b' }, { path: '/b', type: 'file' }]],
  ]
  for (const [label, entries] of bad) {
    await t.rejects(layerFromEntries(entries, { storeDir }), { code: /^ERR_LAYER_INVALID_(ENTRY|PATH)$/ }, label)
  }
})
