/** The in-image launcher: a POSIX-sh program and the config that starts an app's processes. */
export * from './launcher.js'
