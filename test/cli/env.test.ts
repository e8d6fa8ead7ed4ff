import t from 'tap'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { ladingCacheDir, ladingConfigDir } from '../../lib/cli/env.js'

t.test('the config dir follows XDG_CONFIG_HOME (absolute only), else ~/.config', async (t) => {
  t.equal(ladingConfigDir({ XDG_CONFIG_HOME: '/x/conf' }), '/x/conf/lading')
  t.equal(ladingConfigDir({ XDG_CONFIG_HOME: 'relative' }), join(homedir(), '.config', 'lading'))
  t.equal(ladingConfigDir({}), join(homedir(), '.config', 'lading'))
})

t.test('the cache dir follows XDG_CACHE_HOME (absolute only), else ~/.cache', async (t) => {
  t.equal(ladingCacheDir({ XDG_CACHE_HOME: '/x/cache' }), '/x/cache/lading')
  t.equal(ladingCacheDir({ XDG_CACHE_HOME: 'relative' }), join(homedir(), '.cache', 'lading'))
  t.equal(ladingCacheDir({}), join(homedir(), '.cache', 'lading'))
})
