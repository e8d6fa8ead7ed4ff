import t from 'tap'
import { join } from 'node:path'
import { planSbomCopies } from '../../lib/buildpack/index.js'
import { tempTree } from './fixtures.js'

t.test('planSbomCopies maps SBOM files to sbom/{launch,build,cache}', async (t) => {
  const dir = await tempTree(t, '.', {
    'acme_a/launch.sbom.cdx.json': '{}',
    'acme_a/build.sbom.spdx.json': '{}',
    'acme_a/run.toml': '[types]\nlaunch = true\nbuild = true',
    'acme_a/run.sbom.cdx.json': '{}',
    'acme_a/tools.toml': '[types]\nbuild = true',
    'acme_a/tools.sbom.syft.json': '{}',
    'acme_a/deps.toml': '[types]\ncache = true',
    'acme_a/lc.toml': '[types]\nlaunch = true\ncache = true\nbuild = true',
    'acme_a/lc.sbom.cdx.json': '{}',
    'acme_a/bc.toml': '[types]\ncache = true\nbuild = true',
    'acme_a/bc.sbom.cdx.json': '{}',
    'acme_a/deps.sbom.cdx.json': '{}',
    'acme_a/scratch.toml': '',
    'acme_a/scratch.sbom.cdx.json': '{}',
    'acme_a/orphan.sbom.cdx.json': '{}',
    'acme_b/x.toml': '[types]\nlaunch = true',
    'acme_b/x.sbom.spdx.json': '{}',
  })
  const got = await planSbomCopies(dir, [{ id: 'acme/a' }, { id: 'acme/b' }])
  t.same(got.map((c) => [c.from.slice(dir.length + 1), c.to, c.kind]), [
    ['acme_a/launch.sbom.cdx.json', 'sbom/launch/acme_a/sbom.cdx.json', 'launch'],
    ['acme_a/bc.sbom.cdx.json', 'sbom/build/acme_a/bc/sbom.cdx.json', 'build'],
    ['acme_a/bc.sbom.cdx.json', 'sbom/cache/acme_a/bc/sbom.cdx.json', 'cache'],
    ['acme_a/deps.sbom.cdx.json', 'sbom/build/acme_a/deps/sbom.cdx.json', 'build'],
    ['acme_a/deps.sbom.cdx.json', 'sbom/cache/acme_a/deps/sbom.cdx.json', 'cache'],
    ['acme_a/lc.sbom.cdx.json', 'sbom/launch/acme_a/lc/sbom.cdx.json', 'launch'],
    ['acme_a/lc.sbom.cdx.json', 'sbom/cache/acme_a/lc/sbom.cdx.json', 'cache'],
    ['acme_a/run.sbom.cdx.json', 'sbom/launch/acme_a/run/sbom.cdx.json', 'launch'],
    ['acme_a/scratch.sbom.cdx.json', 'sbom/build/acme_a/scratch/sbom.cdx.json', 'build'],
    ['acme_a/tools.sbom.syft.json', 'sbom/build/acme_a/tools/sbom.syft.json', 'build'],
    ['acme_a/build.sbom.spdx.json', 'sbom/build/acme_a/sbom.spdx.json', 'build'],
    ['acme_b/x.sbom.spdx.json', 'sbom/launch/acme_b/x/sbom.spdx.json', 'launch'],
  ])
  t.same(await planSbomCopies(join(dir, 'none'), [{ id: 'x' }]), [])
})
