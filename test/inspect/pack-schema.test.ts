import t from 'tap'
import {
  packBomOutput, packHumanText, packInfo, packInfoText, packInspectOutput, packProcess, tabwrite, type InspectResult,
} from '../../lib/inspect/index.js'

// pack's own writer test data (buildpacks/pack internal/inspectimage/writer/human_readable_test.go,
// json_test.go: "remote" image info), as an InspectResult. pack's user-configured run image mirror
// (from pack's config.toml) has no lading equivalent, so its line is left out of the expectations.
const remote: InspectResult = {
  cnb: true,
  image: { digest: 'sha256:d', mediaType: 'application/vnd.oci.image.manifest.v1+json', os: 'linux', architecture: 'amd64', layers: 1, size: 1, entrypoint: [], cmd: [], env: [], workingDir: '/', user: '', labels: {} },
  stack: 'test.stack.id.remote',
  base: { topLayer: 'some-remote-top-layer', reference: 'some-remote-run-image-reference' },
  runImage: { image: 'some-remote-run-image', mirrors: ['some-remote-mirror', 'other-remote-mirror'] },
  rebasable: true,
  buildpacks: [
    { id: 'test.bp.one.remote', version: '1.0.0', homepage: 'https://some-homepage-one' },
    { id: 'test.bp.two.remote', version: '2.0.0', homepage: 'https://some-homepage-two' },
    { id: 'test.bp.three.remote', version: '3.0.0' },
  ],
  extensions: [],
  processes: [
    { type: 'some-remote-type', shell: 'bash', command: ['/some/remote command'], args: ['some', 'remote', 'args'], workingDir: '/some-test-work-dir', default: true, buildpackId: 'bp' },
    { type: 'other-remote-type', shell: '', command: ['/other/remote/command'], args: ['other', 'remote', 'args'], workingDir: '/other-test-work-dir', default: false, buildpackId: 'bp' },
  ],
  warnings: [],
}

const PACK_REMOTE_TEXT = `REMOTE:

Stack: test.stack.id.remote

Base Image:
  Reference: some-remote-run-image-reference
  Top Layer: some-remote-top-layer

Run Images:
  some-remote-run-image
  some-remote-mirror
  other-remote-mirror

Rebasable: true

Buildpacks:
  ID                          VERSION        HOMEPAGE
  test.bp.one.remote          1.0.0          https://some-homepage-one
  test.bp.two.remote          2.0.0          https://some-homepage-two
  test.bp.three.remote        3.0.0          -

Processes:
  TYPE                              SHELL        COMMAND                      ARGS                     WORK DIR
  some-remote-type (default)        bash         /some/remote command         some remote args         /some-test-work-dir
  other-remote-type                              /other/remote/command        other remote args        /other-test-work-dir`

t.test("human text: pack's expected output, byte for byte", async (t) => {
  t.equal(packHumanText(remote, 'test-image', 'remote'), `Inspecting image: 'test-image'\n\n${PACK_REMOTE_TEXT}\n\nLOCAL:\n(not present)\n`)
  t.equal(packHumanText(remote, 'oci:dir', 'local'), `Inspecting image: 'oci:dir'\n\nREMOTE:\n(not present)\n\nLOCAL:\n${PACK_REMOTE_TEXT.slice('REMOTE:\n'.length)}\n`)
  const noRebase = packInfoText(packInfo({ ...remote, rebasable: false }))
  t.match(noRebase, '\n\nRebasable: false\n\n')
})

t.test('human text: extensions section only when there are some; empty sections as pack words them', async (t) => {
  const ext = packInfoText(packInfo({ ...remote, extensions: remote.buildpacks }))
  t.match(ext, `  test.bp.three.remote        3.0.0          -\n\nExtensions:\n  ID                          VERSION        HOMEPAGE\n  test.bp.one.remote          1.0.0          https://some-homepage-one\n`)
  t.match(ext, /-\n\nProcesses:\n/)
  const bare = packInfoText(packInfo({ ...remote, stack: '', base: { topLayer: '', reference: '' }, runImage: { image: '', mirrors: [] }, buildpacks: [], processes: [] }))
  t.equal(bare, '\nStack: \n\nBase Image:\n  Top Layer: \n\nRun Images:\n  (none)\n\nRebasable: true\n\nBuildpacks:\n  (buildpack metadata not present)')
})

t.test("json schema: pack's InspectOutput key for key, in pack's order, then lading's extras", async (t) => {
  const out = packInspectOutput(remote, 'test-image', 'remote')
  t.same(Object.keys(out), ['image_name', 'remote_info', 'local_info', 'digest', 'platform', 'cnb'])
  t.same(out, {
    image_name: 'test-image',
    remote_info: {
      stack: 'test.stack.id.remote',
      base_image: { top_layer: 'some-remote-top-layer', reference: 'some-remote-run-image-reference' },
      run_images: [{ name: 'some-remote-run-image' }, { name: 'some-remote-mirror' }, { name: 'other-remote-mirror' }],
      buildpacks: [
        { id: 'test.bp.one.remote', version: '1.0.0', homepage: 'https://some-homepage-one' },
        { id: 'test.bp.two.remote', version: '2.0.0', homepage: 'https://some-homepage-two' },
        { id: 'test.bp.three.remote', version: '3.0.0' },
      ],
      extensions: null,
      processes: [
        { type: 'some-remote-type', shell: 'bash', command: '/some/remote command', default: true, args: ['some', 'remote', 'args'], 'working-dir': '/some-test-work-dir' },
        { type: 'other-remote-type', shell: '', command: '/other/remote/command', default: false, args: ['other', 'remote', 'args'], 'working-dir': '/other-test-work-dir' },
      ],
      rebasable: true,
    },
    local_info: null,
    digest: 'sha256:d',
    platform: 'linux/amd64',
    cnb: true,
  })
  t.same(Object.keys(out['remote_info'] as object), ['stack', 'base_image', 'run_images', 'buildpacks', 'extensions', 'processes', 'rebasable'])
  t.same(packInspectOutput(remote, 'oci:x', 'local')['remote_info'], null)
})

t.test('processes: command[0] is the command, the rest and the args are args (null when none)', async (t) => {
  t.same(packProcess({ type: 'w', shell: '', command: ['node', 'a.js'], args: ['--x'], workingDir: '/w', default: false, buildpackId: 'b' }).args, ['a.js', '--x'])
  t.same(packProcess({ type: 'w', shell: 'bash', command: ['echo hi'], args: [], workingDir: '/w', default: false, buildpackId: 'b' }), { type: 'w', shell: 'bash', command: 'echo hi', default: false, args: null, 'working-dir': '/w' })
})

t.test("--bom: pack's BOMDisplay (remote, local) then the extras", async (t) => {
  const bom = [{ name: 'node', version: '18', metadata: { v: 1 }, buildpack: { id: 'acme/node', version: '1' } }, { name: 'x', metadata: null, buildpack: { id: 'a', version: '2', optional: true } }]
  const out = packBomOutput({ ...remote, bom, sbom: [] }, 'remote')
  t.same(out, {
    remote: [
      { name: 'node', version: '18', metadata: { v: 1 }, buildpacks: { id: 'acme/node', version: '1' } },
      { name: 'x', metadata: null, buildpacks: { id: 'a', version: '2', optional: true } },
    ],
    local: null, digest: 'sha256:d', platform: 'linux/amd64', cnb: true, sbom: [],
  })
  t.same(packBomOutput(remote, 'local'), { remote: null, local: null, digest: 'sha256:d', platform: 'linux/amd64', cnb: true })
})

t.test("tabwrite: Go's tabwriter with padding 8, per block of lines", async (t) => {
  t.same(tabwrite(['a\tbb\tc', 'ccc\td\t', 'none', 'x\ty']), ['a          bb        c', 'ccc        d         ', 'none', 'x        y'])
})
