import t from 'tap'
import { parseReport, stringifyReport } from '../../../lib/platform/index.js'

t.test('writes tags, digest and an integer manifest-size', async (t) => {
  const text = stringifyReport({
    image: { tags: ['registry.example/team/app:latest', 'registry.example/team/app:v42'], digest: 'sha256:9a', manifestSize: 1873 },
  })
  // @iarna/toml wraps long arrays over several lines: still plain TOML.
  t.equal(text, '[image]\ntags = [\n  "registry.example/team/app:latest",\n  "registry.example/team/app:v42"\n]\n' +
    'digest = "sha256:9a"\nmanifest-size = 1873\n')
  t.same(parseReport(text).image.manifestSize, 1873)
  t.match(stringifyReport({ image: { tags: [], manifestSize: 1234567 } }), /manifest-size = 1234567\n/, 'no _ separators')
})

t.test('rebaser report: only tags and digest; image-id for daemon mode', async (t) => {
  t.equal(stringifyReport({ image: { tags: ['a:b'], digest: 'sha256:1' } }), '[image]\ntags = [ "a:b" ]\ndigest = "sha256:1"\n')
  t.same(parseReport(stringifyReport({ image: { tags: [], imageId: 'sha256:2' } })), { image: { tags: [], imageId: 'sha256:2' } })
})

const CASES: Array<[string, string, object | RegExp]> = [
  ['string size accepted', '[image]\ntags = []\nmanifest-size = "42"\n', { image: { tags: [], manifestSize: 42 } }],
  ['empty file', '', { image: { tags: [] } }],
  ['bad string size', '[image]\nmanifest-size = "4x"\n', /r\.toml: key "image\.manifest-size": must be an integer/],
  ['float size', '[image]\nmanifest-size = 4.5\n', /key "image\.manifest-size": must be an integer/],
  ['tags not strings', '[image]\ntags = [1]\n', /key "image\.tags\[0\]"/],
]
for (const [name, text, want] of CASES) {
  t.test(name, async (t) => {
    if (want instanceof RegExp) t.throws(() => parseReport(text, 'r.toml'), { code: 'ERR_PLATFORM_FILE_INVALID', message: want })
    else t.same(parseReport(text, 'r.toml'), want)
  })
}
