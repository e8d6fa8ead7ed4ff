export { main, run, COMMANDS, VERSION } from './main.js'
