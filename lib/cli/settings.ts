/** lading's user settings (`default-builder`), kept in `$XDG_CONFIG_HOME/lading/config.toml`, as pack keeps its config.toml. */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isTable, readTomlFile, stringifyToml } from '../toml/index.js'
import { ladingConfigDir } from './env.js'
import { UsageError } from './args.js'

/** Setting keys, each with the line `lading config` help shows. */
export const SETTINGS = {
  'default-builder': 'the builder used when a build names no buildpacks and no --builder',
} as const

export type SettingKey = keyof typeof SETTINGS

/** The settings file. */
export function settingsFile(): string {
  return join(ladingConfigDir(), 'config.toml')
}

/** Every setting that is set (missing file = none). */
export async function readSettings(file = settingsFile()): Promise<Partial<Record<SettingKey, string>>> {
  const doc = await readTomlFile(file, true)
  const out: Partial<Record<SettingKey, string>> = {}
  if (!doc || !isTable(doc)) return out
  for (const k of Object.keys(SETTINGS) as SettingKey[]) if (typeof doc[k] === 'string') out[k] = doc[k] as string
  return out
}

/** Sets (or with `undefined`, unsets) one setting; written whole to a temp file and renamed. */
export async function writeSetting(key: SettingKey, value: string | undefined, file = settingsFile()): Promise<void> {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${key} cannot be empty (use --unset to remove it)`, 'config')
  const now = await readSettings(file)
  if (value === undefined) delete now[key]
  else now[key] = value
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, stringifyToml(now))
  await rename(tmp, file)
}
