import t from 'tap'
import { LadingError } from '../../lib/errors.js'
import { LabelError, PlatformFileError, RunImageUnavailableError, TargetDataError } from '../../lib/platform/index.js'
import { exitCodeFor } from '../../lib/exit-codes.js'

t.test('typed errors carry code, context and message', async (t) => {
  const CASES: Array<[LadingError, string, RegExp]> = [
    [new PlatformFileError('order.toml', 'order[0].group[0].id', 'is required'), 'ERR_PLATFORM_FILE_INVALID', /^order\.toml: key "order\[0\]\.group\[0\]\.id": is required$/],
    [new PlatformFileError('x.toml', '', 'invalid TOML'), 'ERR_PLATFORM_FILE_INVALID', /^x\.toml: invalid TOML$/],
    [new LabelError('io.buildpacks.build.metadata', 'not valid JSON'), 'ERR_LABEL_INVALID', /^label io\.buildpacks\.build\.metadata: not valid JSON$/],
    [new TargetDataError('no os'), 'ERR_TARGET_DATA_INVALID', /^no os$/],
    [new RunImageUnavailableError(['a', 'b']), 'ERR_RUN_IMAGE_UNAVAILABLE', /^no readable run image among a, b$/],
    [new RunImageUnavailableError([]), 'ERR_RUN_IMAGE_UNAVAILABLE', /names none/],
  ]
  for (const [err, code, re] of CASES) {
    t.type(err, LadingError)
    t.equal(err.code, code)
    t.equal(err.name, err.constructor.name)
    t.match(err.message, re)
  }
  const cause = new Error('inner')
  t.equal(new LabelError('l', 'd', { cause }).cause, cause)
})

t.test('platform file errors are invalid input for the exit-code table', async (t) => {
  t.equal(exitCodeFor('ERR_PLATFORM_FILE_INVALID'), 4)
})
