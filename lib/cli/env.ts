/** The environment lading's CLI reads for its own settings (XDG config and cache dirs); the only other readers are main.ts and the keychain. */
import { homedir } from 'node:os'
import { join } from 'node:path'

/** `$XDG_CONFIG_HOME/lading`, else `~/.config/lading`. */
export function ladingConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.config'), 'lading')
}

/** `$XDG_CACHE_HOME/lading`, else `~/.cache/lading`: every cache lading keeps (rootfs, layers, uploads, registry facts) lives here. */
export function ladingCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'lading')
}
