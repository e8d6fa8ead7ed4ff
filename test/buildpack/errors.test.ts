import t from 'tap'
import { LadingError } from '../../lib/errors.js'
import {
  BuildpackAmbiguousError, BuildpackDescriptorError, BuildpackError, BuildpackFileError, BuildpackNotFoundError,
} from '../../lib/buildpack/index.js'

t.test('errors carry codes and name what failed', async (t) => {
  const f = new BuildpackFileError('ERR_BUILDPACK_LAUNCH_TOML', '/l/launch.toml', 'processes[0].type', 'bad')
  t.ok(f instanceof LadingError)
  t.equal(f.message, '/l/launch.toml (key processes[0].type): bad')
  const w = f.withBuildpack('acme/node')
  t.equal(w.code, 'ERR_BUILDPACK_LAUNCH_TOML')
  t.equal(w.buildpackId, 'acme/node')
  t.equal(w.message, 'buildpack acme/node: /l/launch.toml (key processes[0].type): bad')
  t.equal(new BuildpackDescriptorError('/b.toml', undefined, 'x').message, '/b.toml: x')
  t.equal(new BuildpackDescriptorError('/b.toml', undefined, 'x').code, 'ERR_BUILDPACK_DESCRIPTOR')
  const b = new BuildpackError('acme/node', 'build', 3)
  t.equal(b.code, 'ERR_BUILDPACK_FAILED')
  t.equal(b.stage, 'build')
  t.equal(b.exitCode, 3)
  t.match(b.message, /acme\/node: bin\/build failed with exit code 3/)
  t.match(new BuildpackNotFoundError('a', '1', ['a@2']).message, /a@1 not found \(available: a@2\)/)
  t.equal(new BuildpackAmbiguousError('a', ['1', 'x'], 'why').code, 'ERR_BUILDPACK_AMBIGUOUS')
})
