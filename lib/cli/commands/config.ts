/** `lading config`: the settings (`default-builder`), as pack's `config` commands; or, given an image REF, its raw config blob. */
import { UsageError } from '../args.js'
import type { Command } from '../command.js'
import { fetchImage } from '../../remote/index.js'
import { readSettings, settingsFile, writeSetting, SETTINGS, type SettingKey } from '../settings.js'

/** `lading config [KEY [VALUE] | REF]`. */
export const configCommand: Command = {
  name: 'config',
  summary: 'Show or change settings (default-builder), or print the config blob of an image',
  usage: 'config | config default-builder [REF] [--unset] | config REF [--platform OS/ARCH[/VARIANT]]',
  help: `Without arguments, lists the settings that are set (from $XDG_CONFIG_HOME/lading/config.toml,
default ~/.config/lading/config.toml).

Settings:
${Object.entries(SETTINGS).map(([k, v]) => `  ${k.padEnd(17)}${v}`).join('\n')}

  lading config default-builder REF     sets it
  lading config default-builder         prints it
  lading config default-builder --unset removes it

Any other argument is an image: its config (environment, entrypoint, labels, diff_ids, history)
is printed exactly as stored; an index is narrowed to --platform, by default the host's.

Examples:
  lading config default-builder registry.example.com/team/builder:1
  lading config registry.example.com/app:1.2 | jq .config.Labels`,
  options: { platform: { type: 'string' }, unset: { type: 'boolean' } },
  async run(ctx, args) {
    const [first, value, ...rest] = args.positionals
    if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`, 'config')
    if (first === undefined) {
      const now = await readSettings()
      if (ctx.flags.json) ctx.out.data(`${JSON.stringify(now)}\n`)
      else if (Object.keys(now).length === 0) ctx.out.info(`no settings in ${settingsFile()}; set one with 'lading config default-builder REF'`)
      else for (const [k, v] of Object.entries(now)) ctx.out.data(`${k} = ${v}\n`)
      return 0
    }
    if (first in SETTINGS) {
      const key = first as SettingKey
      if (args.values.unset) {
        if (value !== undefined) throw new UsageError('--unset takes no value', 'config')
        await writeSetting(key, undefined)
        ctx.out.info(`${key} unset`)
      } else if (value === undefined) {
        const v = (await readSettings())[key]
        if (v === undefined) ctx.out.info(`${key} is not set; set it with 'lading config ${key} REF'`)
        else ctx.out.data(`${v}\n`)
      } else {
        await writeSetting(key, value)
        ctx.out.info(`${key} set to ${value}`)
      }
      return 0
    }
    if (value !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(value)}: usage: lading config REF`, 'config')
    const t = await ctx.target(first)
    const platform = ctx.platform(args.values.platform)
    const image = await fetchImage(t.repo, t.identifier, { signal: ctx.signal, ...(platform ? { platform } : {}) })
    ctx.out.data(await image.rawConfig())
    return 0
  },
}
