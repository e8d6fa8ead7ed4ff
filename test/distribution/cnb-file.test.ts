import t from 'tap'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openCnbFile, writeCnbFile, LABELS } from '../../lib/distribution/index.js'
import { imageFromParts, layerFromBytes } from '../../lib/image/index.js'
import { runToolOk } from '../../registry-fixtures/index.js'
import { tmp } from './helpers.js'

let dir: string
t.before(async () => { dir = await tmp('lading-dist-cnb-') })
t.teardown(() => rm(dir, { recursive: true, force: true }))

t.test('written as a deterministic tar of an OCI layout, read back the same', async (t) => {
  const image = imageFromParts({ config: { Labels: { [LABELS.buildpackageMetadata]: '{"id":"a","version":"1"}' } }, layers: [layerFromBytes(Buffer.alloc(1024))] })
  await writeCnbFile(image, join(dir, 'a.cnb'), join(dir, 's1'))
  await writeCnbFile(image, join(dir, 'b.cnb'), join(dir, 's2'))
  t.same(await readFile(join(dir, 'a.cnb')), await readFile(join(dir, 'b.cnb')))
  const list = await runToolOk('tar', ['-tvf', join(dir, 'a.cnb')])
  t.match(list, /oci-layout/)
  t.match(list, /index\.json/)
  t.match(list, /blobs\/sha256\//)
  const back = await openCnbFile(join(dir, 'a.cnb'), join(dir, 'open'))
  t.equal(await back.digest(), await image.digest())
})

t.test('not a tar of an OCI layout: named, with what is wrong', async (t) => {
  await writeFile(join(dir, 'junk.cnb'), 'junk')
  await t.rejects(openCnbFile(join(dir, 'junk.cnb'), join(dir, 'o2')), { code: 'ERR_DISTRIBUTION_NOT_OCI_LAYOUT', message: /junk\.cnb: not a \.cnb file/ })
  await runToolOk('tar', ['-cf', join(dir, 'plain.cnb'), '-C', dir, 'junk.cnb'])
  await t.rejects(openCnbFile(join(dir, 'plain.cnb'), join(dir, 'o3')), { message: /oci-layout and index\.json missing/ })
})
