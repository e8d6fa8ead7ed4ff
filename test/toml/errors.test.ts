// The TOML file error: names the file and the key path, keeps the cause, maps to exit 4.
import t from 'tap'
import { TomlFileError } from '../../lib/toml/index.js'
import { PlatformFileError } from '../../lib/platform/index.js'
import { ExitCodes, exitCodeFor } from '../../lib/exit-codes.js'

t.test('the message names the file and the key; a whole-file problem has no key', async (t) => {
  const e = new TomlFileError('order.toml', 'order[1].group[0].id', 'is required')
  t.equal(e.message, 'order.toml: key "order[1].group[0].id": is required')
  t.equal(new TomlFileError('run.toml', '', 'not valid TOML').message, 'run.toml: not valid TOML')
  t.equal(exitCodeFor(e.code), ExitCodes.INVALID_INPUT)
})

t.test('platform files report through the same class and code as before', async (t) => {
  t.equal(PlatformFileError, TomlFileError)
  t.equal(new PlatformFileError('group.toml', 'group', 'x').code, 'ERR_PLATFORM_FILE_INVALID')
})
