/**
 * Makes the test base images (busybox run images v1/v2 and a build image) as an OCI layout at
 * the directory given, with umoci: `npx tsx registry-fixtures/make-base-images.ts DIR`. The README's
 * quick start uses it; tests call makeBaseImages directly.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { makeBaseImages } from './base-images.js'

const dir = process.argv[2]
if (!dir) {
  process.stderr.write('usage: npx tsx registry-fixtures/make-base-images.ts DIR\n')
  process.exit(3)
}
// Already made (a second run of the quick start): keep it.
const made = existsSync(join(dir, 'index.json'))
  ? Promise.resolve({ runV1: `oci:${dir}:run-v1`, runV2: `oci:${dir}:run-v2`, build: `oci:${dir}:build` })
  : makeBaseImages(dir)
made.then(
  (b) => process.stdout.write(`${b.runV1}\n${b.runV2}\n${b.build}\n`),
  (err) => {
    process.stderr.write(`${err.message ?? err}\n`)
    process.exit(1)
  },
)
