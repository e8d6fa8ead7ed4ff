// Builds the CLI bundle bin/lading loads (dist/lading.cjs) with esbuild: one CommonJS file, and
// undici's connection pool evaluated only when a command first creates an Agent.
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

// lib/registry imports undici's Agent at the top of its wire module; evaluating it loads the
// pool, HTTP/1 and HTTP/2 clients and node:http2/tls (~60 ms of CPU). Commands that use Node's
// own HTTP (lib/cli/http-transport.ts) never create one, so the bundle gets a stand-in whose
// constructor loads the real Agent on first use and returns an instance of it.
const LAZY = 'undici/lib/dispatcher/agent.js'
const lazyUndiciAgent = {
  name: 'lazy-undici-agent',
  setup(b) {
    b.onResolve({ filter: /^undici\/lib\/dispatcher\/agent\.js$/ }, (args) =>
      args.pluginData === 'real' ? undefined : { path: LAZY, namespace: 'lazy-agent' })
    b.onLoad({ filter: /.*/, namespace: 'lazy-agent' }, () => ({
      resolveDir: root,
      pluginData: 'real',
      loader: 'js',
      contents: `'use strict'
let Real
function real() { return (Real ??= require(${JSON.stringify(LAZY)})) }
module.exports = function Agent(opts) { return new (real())(opts) }
module.exports.load = real
`,
    }))
  },
}

await build({
  absWorkingDir: root,
  entryPoints: ['lib/cli/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/lading.cjs',
  logLevel: 'warning',
  plugins: [lazyUndiciAgent],
  ...JSON.parse(process.env.BUILD_EXTRA || '{}'),
})
