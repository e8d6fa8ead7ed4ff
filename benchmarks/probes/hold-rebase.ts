// scratch (not committed): sets up startup.ts's rebase scene and holds it open
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeBaseImages, pushBaseImages, SAMPLES } from '../../registry-fixtures/index.js'
import { withLabels } from '../../lib/image/index.js'
import { parseReference } from '../../lib/oci/index.js'
import { createRegistryClient } from '../../lib/registry/index.js'
import { fetchImage, pushImage } from '../../lib/remote/index.js'
import { startCountingRegistry } from '../lib/counting-registry.js'
import { timeCmd } from '../lib/harness.js'
import { writeFileSync } from 'node:fs'
const LADING = fileURLToPath(new URL('../../bin/lading', import.meta.url))
const work = '/tmp/prof/work'
const cr = await startCountingRegistry()
const base = await makeBaseImages(join(work, 'base'))
await pushBaseImages(base.layout, cr.direct)
const client = createRegistryClient({})
const repo = (ref: string) => client.repository(parseReference(ref))
const bases = [await fetchImage(repo(`${cr.direct}/run:v1`), 'v1'),
  withLabels(await fetchImage(repo(`${cr.direct}/run:v2`), 'v2'), { 'io.buildpacks.base.distro.version': '1' })]
await pushImage(repo(`${cr.direct}/run:current`), bases[0]!, ['current'])
await pushImage(repo(`${cr.direct}/run:alt`), bases[1]!, ['alt'])
const app = join(work, 'app')
await cp(SAMPLES.apps.bench, app, { recursive: true })
await timeCmd({ argv: [LADING, 'build', `${cr.direct}/bench/app:1`, '--path', app, '--buildpacks-dir', SAMPLES.buildpacksDir,
  '--run-image', `${cr.direct}/run:current`, '--env', 'BP_DEPS_SIZE_MB=1', '--quiet'] })
writeFileSync('/tmp/prof/host', cr.direct)
console.log('ready', cr.direct)
setInterval(() => {}, 1e6)
