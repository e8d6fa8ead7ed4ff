// Builds the CLI bundle bin/lading loads (dist/lading.cjs) with esbuild: one CommonJS file made
// to start fast, because a one-off command (`lading digest`) is mostly start-up.
import { build } from 'esbuild'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

// lib/registry imports undici's Agent at the top of its wire module; evaluating it loads the
// pool, the HTTP/1 and HTTP/2 clients and node:http2 (~60 ms of CPU). Commands that use Node's
// own HTTP (lib/cli/http-transport.ts) never create one, so the bundle gets a stand-in whose
// constructor loads the real Agent on first use and returns an instance of it.
const AGENT = 'undici/lib/dispatcher/agent.js'
// Its request API (with its body class, error classes, header tables, node:assert and
// node:querystring) is only needed on undici's agents: the Node-http transport brings its own
// request() (lib/cli/http-response.ts). The stand-in loads the real one on first call.
const REQUEST = 'undici/lib/api/api-request.js'

// Built-in modules that lib/ imports at the top of a file but uses only on some paths: TLS
// (extra CA files), child processes (credential helpers, git, buildpacks), zlib (layers), and
// fs/promises (which brings readline and file watchers along). node:crypto is used on every
// path that reads a registry, but not before the first request is sent: loading it then (while
// the registry answers, lib/cli/context.ts) takes ~2 ms off a one-off command.
// lib/ gets a stand-in that loads the real module on first use of one of its exports.
const LAZY_BUILTINS = ['node:tls', 'node:child_process', 'node:zlib', 'node:fs/promises', 'node:crypto']

// `undiciOutside`: the stand-ins load undici from node_modules instead of the bundle (see below).
const lazyModules = (undiciOutside = false) => ({
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /^undici\/lib\/(dispatcher\/agent|api\/api-request)\.js$/ }, (args) =>
      args.pluginData === 'real' ? (undiciOutside ? { path: args.path, external: true } : undefined)
        : args.importer.includes('node_modules') ? undefined : { path: args.path, namespace: 'lazy' })
    b.onResolve({ filter: /^node:/ }, (args) =>
      LAZY_BUILTINS.includes(args.path) && args.pluginData !== 'real' && args.importer.startsWith(`${root}lib/`)
        ? { path: args.path, namespace: 'lazy' } : undefined)
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      resolveDir: root,
      pluginData: 'real',
      loader: 'js',
      contents: args.path === AGENT ? lazyConstructor(args.path) : args.path === REQUEST ? lazyFunction(args.path) : lazyNamespace(args.path),
    }))
  },
})

// undici compiles its HTTP parser (WebAssembly) and V8 then optimizes it on background threads,
// which a short command waits ~100 ms for at exit. The baseline compiler alone is plenty for
// parsing registry responses, so the optimizing tier is turned off before the first Agent.
function lazyConstructor(path) {
  return `'use strict'
let Real
function load() {
  require('node:v8').setFlagsFromString('--liftoff-only')
  return require(${JSON.stringify(path)})
}
module.exports = function LazyAgent(opts) { return new (Real ??= load())(opts) }
`
}

// A function called with its `this` (undici's request API is called on a dispatcher).
function lazyFunction(path) {
  return `'use strict'
let real
module.exports = function (...args) { return (real ??= require(${JSON.stringify(path)})).apply(this, args) }
`
}

// esbuild copies a CommonJS module's keys onto the importer's namespace object (its __toESM),
// so the stand-in answers for the keys without loading: they are the real module's, read here
// (the same Node runs the build, through npm's prepare script, and the CLI).
function lazyNamespace(path) {
  const keys = Object.keys(process.getBuiltinModule(path))
  return `'use strict'
const keys = ${JSON.stringify(keys)}
let real
const load = () => (real ??= require(${JSON.stringify(path)}))
module.exports = new Proxy({}, {
  get: (_, k) => (k === '__esModule' ? undefined : load()[k]),
  has: (_, k) => keys.includes(k) || k in load(),
  ownKeys: () => keys,
  getOwnPropertyDescriptor: (_, k) => (keys.includes(k) ? { value: undefined, writable: true, enumerable: true, configurable: true } : undefined),
})
`
}

const options = {
  absWorkingDir: root,
  entryPoints: ['lib/cli/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'dist/lading.cjs',
  // Whitespace and syntax only: names stay, so stack traces (LADING_DEBUG=1) still read. The
  // bundle shrinks by a third and, with its licence comments moved to a file of their own, is
  // pure ASCII: V8 keeps it as a one-byte string, which is read and hashed in half the time.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  charset: 'ascii',
  logLevel: 'warning',
  plugins: [lazyModules()],
}
// Every file is written beside its place and renamed onto it: a lading started while this runs
// (a test suite that rebuilds, `npm install` under a running CLI) reads the old bundle or the new,
// never a missing or half-written one.
async function buildInPlace(o) {
  const r = await build({ ...o, write: false })
  for (const f of r.outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true })
    const tmp = `${f.path}.${process.pid}.tmp`
    writeFileSync(tmp, f.contents)
    renameSync(tmp, f.path)
  }
}

await buildInPlace(options)

// One bundle per command as well (dist/commands/NAME.cjs), holding only what that command imports:
// a one-off command reads, hashes and sets up half the code (`lading config`: 0.6 of 1.2 MB, ~10%
// of its wall time). bin/lading picks it by the command word and falls back to dist/lading.cjs
// whenever the bundle's own argv parsing names another command (index.ts: commandOf).
const COMMAND_IMPORT = /await import\('\.\/commands\/([a-z]+)\.js'\)/g
const mainSource = readFileSync(join(root, 'lib/cli/main.ts'), 'utf8')
// the commands of COMMANDS (an entry names the module it imports), not an example in a comment
const names = [...mainSource.matchAll(/name: '([a-z]+)'.*await import\('\.\/commands\/\1\.js'\)/g)].map((m) => m[1])
if (names.length < 10) throw new Error(`build-cli: found ${names.length} command imports in lib/cli/main.ts; the per-command bundles expect COMMANDS' load() to be \`await import('./commands/NAME.js')\``)
// A command that speaks Node's own HTTP (Command.transport 'node', the default) reaches undici
// only with --ca-cert: its bundle leaves undici (360 KB, two thirds of it) in node_modules, where
// that path loads it from. Every run of the command reads, and V8 checks, a third of the bytes.
const transportOf = (name) => /\btransport: '(undici|mixed|node)'/.exec(readFileSync(join(root, 'lib/cli/commands', `${name}.ts`), 'utf8'))?.[1] ?? 'node'
await Promise.all(names.map((name) => buildInPlace({
  ...options,
  outfile: `dist/commands/${name}.cjs`,
  legalComments: 'none', // dist/lading.cjs.LEGAL.txt covers the same packages
  plugins: [lazyModules(transportOf(name) === 'node'), onlyCommand(name)],
})))
// A command that is gone (or renamed) leaves no bundle behind.
for (const f of readdirSync(join(root, 'dist', 'commands'))) {
  if (!names.includes(f.replace(/\.cjs$/, '')) && !f.endsWith('.tmp')) rmSync(join(root, 'dist', 'commands', f), { force: true })
}

/** Leaves out every command but `name`: their dynamic imports become a rejection bin/lading never reaches. */
function onlyCommand(name) {
  return {
    name: 'only-command',
    setup(b) {
      b.onLoad({ filter: /lib\/cli\/main\.ts$/ }, (args) => ({
        loader: 'ts',
        contents: readFileSync(args.path, 'utf8').replace(COMMAND_IMPORT, (m, c) => (c === name ? m
          : `await Promise.reject(new Error('dist/commands/${name}.cjs holds only the ${name} command'))`)),
      }))
    },
  }
}
