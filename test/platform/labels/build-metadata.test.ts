import t from 'tap'
import {
  buildMetadataFromToml, decodeBuildMetadata, encodeBuildMetadata, type BuildMetadataLabel,
} from '../../../lib/platform/index.js'

const LAUNCHER = { version: '0.20.9', source: { git: { repository: 'github.com/buildpacks/lifecycle', commit: 'abc1234' } } }

const MD: BuildMetadataLabel = {
  buildpacks: [{ id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0' }],
  launcher: LAUNCHER,
  processes: [{ type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackID: 'acme/node', workingDir: '/workspace/api' }],
}

t.test('encodes the §4.4 shape and key order', async (t) => {
  t.equal(encodeBuildMetadata(MD), JSON.stringify({
    buildpacks: [{ id: 'acme/node', version: '2.1.0', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0' }],
    launcher: { version: '0.20.9', source: { git: { repository: 'github.com/buildpacks/lifecycle', commit: 'abc1234' } } },
    processes: [{ type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackID: 'acme/node', 'working-dir': '/workspace/api' }],
  }))
  const noWd = encodeBuildMetadata({ ...MD, processes: [{ type: 'w', command: ['x'], args: null, direct: true, buildpackID: 'b' }] })
  t.match(noWd, '"processes":[{"type":"w","command":["x"],"args":null,"direct":true,"buildpackID":"b"}]')
  t.match(encodeBuildMetadata({ ...MD, extensions: [{ id: 'e', version: '1' }] }), /"buildpacks":\[.*\],"extensions":\[\{"id":"e","version":"1"\}\],"launcher"/)
})

t.test('round-trips', async (t) => {
  t.same(decodeBuildMetadata(encodeBuildMetadata(MD)), { value: MD, warnings: [] })
})

t.test('reads labels written by older lifecycles', async (t) => {
  // Platform < 0.10: string command, null args, api on buildpacks, bom present.
  const old = JSON.stringify({
    bom: [{ name: 'x' }],
    buildpacks: [{ id: 'acme/node', version: '1.0.0', api: '0.6' }],
    launcher: { version: '0.17.0', source: { git: { repository: 'github.com/buildpacks/lifecycle', commit: 'def' } } },
    processes: [
      { type: 'web', command: 'npm start', args: null, direct: false, buildpackID: 'acme/node' },
      { type: 'cli', command: ['bin/cli'], direct: true, buildpackID: 'acme/node' },
    ],
  })
  const { value, warnings } = decodeBuildMetadata(old)
  t.same(warnings, [])
  t.same(value.buildpacks, [{ id: 'acme/node', version: '1.0.0' }])
  t.same(value.processes, [
    { type: 'web', command: ['npm start'], args: null, direct: false, buildpackID: 'acme/node' },
    { type: 'cli', command: ['bin/cli'], args: [], direct: true, buildpackID: 'acme/node' },
  ])
})

t.test('missing keys and wrong types', async (t) => {
  t.same(decodeBuildMetadata('{}').value, { buildpacks: [], launcher: { version: '', source: { git: { repository: '', commit: '' } } }, processes: [] })
  const { value, warnings } = decodeBuildMetadata('{"processes":[{"type":"w","command":[1,"a"],"direct":"no"}],"launcher":"x"}')
  t.same(value.processes, [{ type: 'w', command: ['a'], args: [], direct: false, buildpackID: '' }])
  t.equal(warnings.length, 3)
  t.match(warnings.join('\n'), /launcher should be an object[^]*processes\[0\]\.command\[0\] should be a string[^]*processes\[0\]\.direct/)
  t.throws(() => decodeBuildMetadata('{'), { code: 'ERR_LABEL_INVALID', label: 'io.buildpacks.build.metadata' })
})

t.test('buildMetadataFromToml maps metadata.toml to the label', async (t) => {
  const label = buildMetadataFromToml({
    buildpacks: [{ id: 'acme/node', version: '2.1.0', api: '0.10', homepage: 'https://example.test/node' }, { id: 'acme/procfile', version: '0.3.0', api: '0.10' }],
    processes: [{ type: 'web', command: ['node', 'server.js'], args: ['--port', '8080'], direct: true, buildpackId: 'acme/node', workingDir: '/workspace/api' }],
    labels: [], slices: [], buildpackDefaultProcessType: 'web',
  }, LAUNCHER)
  t.same(label, { ...MD, buildpackDefaultProcessType: 'web' }, 'the buildpack-chosen default is kept, as the lifecycle does')
  t.match(encodeBuildMetadata(label), /,"buildpack-default-process-type":"web"}$/)
  t.notMatch(encodeBuildMetadata(label), /"api"/, 'no api in buildpack entries [impl]')
})
