// lib/cli's only door and the entry point the CLI bundle (dist/lading.cjs) is built from.
export { commandOf, main, run, COMMANDS, VERSION } from './main.js'
