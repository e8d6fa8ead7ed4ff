import t from 'tap'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ladingConfigDir } from '../../lib/cli/env.js'

t.test('the config dir follows XDG_CONFIG_HOME (absolute only), else ~/.config', async (t) => {
  t.equal(ladingConfigDir({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/lading')
  t.equal(ladingConfigDir({ XDG_CONFIG_HOME: 'relative' }), join(homedir(), '.config', 'lading'))
  t.equal(ladingConfigDir({}), join(homedir(), '.config', 'lading'))
})
