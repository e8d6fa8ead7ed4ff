import { UsageError } from '../args.js'
import type { Command } from '../command.js'

/** `lading inspect` (being written). */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'inspect (not implemented yet)',
  usage: 'inspect IMAGE',
  help: 'Not implemented yet.\n\nExamples:\n  lading inspect registry.example.com/app:1',
  options: {},
  async run() {
    throw new UsageError('lading inspect is not implemented yet')
  },
}
