import { UsageError } from '../args.js'
import type { Command } from '../command.js'

/** `lading rebase` (being written). */
export const rebaseCommand: Command = {
  name: 'rebase',
  summary: 'rebase (not implemented yet)',
  usage: 'rebase IMAGE',
  help: 'Not implemented yet.\n\nExamples:\n  lading rebase registry.example.com/app:1',
  options: {},
  async run() {
    throw new UsageError('lading rebase is not implemented yet')
  },
}
