import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256 } from '../../lib/digest/index.js'
import { imageFromParts, type Image } from '../../lib/image/index.js'
import { openLayout } from '../../lib/layout/index.js'
import { encodeJson, MediaTypes } from '../../lib/oci/index.js'
import { pushImage } from '../../lib/remote/index.js'
import { randomImage, randomLayer } from './random.js'

/** An OCI layout holding `v1` (one random image) and `multi` (an index of amd64 and arm64/v8 images). */
export interface PlatformLayout {
  work: string
  layout: string
  single: Image
  amd: Image
  arm: Image
  indexDigest: string
}

/** Makes a PlatformLayout in a fresh temp dir (the caller removes `work`). */
export async function makePlatformLayout(prefix: string): Promise<PlatformLayout> {
  const work = await mkdtemp(join(tmpdir(), prefix))
  const layout = join(work, 'l')
  const repo = await openLayout(layout, { create: true })
  const single = await randomImage(1, 128)
  await pushImage(repo, single, ['v1'])
  const amd = imageFromParts({ platform: { os: 'linux', architecture: 'amd64' }, layers: [await randomLayer(64)] })
  const arm = imageFromParts({ platform: { os: 'linux', architecture: 'arm64' }, layers: [await randomLayer(64)] })
  const children = [
    { ...await pushImage(repo, amd, []), platform: { os: 'linux', architecture: 'amd64' } },
    { ...await pushImage(repo, arm, []), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]
  const bytes = encodeJson({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests: children })
  await repo.manifests.put('multi', bytes, MediaTypes.OCI_INDEX)
  return { work, layout, single, amd, arm, indexDigest: sha256(bytes) }
}
