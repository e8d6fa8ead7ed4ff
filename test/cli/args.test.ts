import t from 'tap'
import { findCommand, parseCommandArgs, expectPositionals, UsageError, networkOn } from '../../lib/cli/args.js'

const known = new Set(['copy', 'append', 'tags'])

t.test('finds the command with global flags before or after it', async (t) => {
  t.equal(findCommand(['copy', 'a', 'b'], known), 'copy')
  t.equal(findCommand(['--insecure-registry', 'r:5000', 'copy', 'a', 'b'], known), 'copy')
  t.equal(findCommand(['--layer', 'x:/y', 'append', 'a', 'b'], known), 'append')
  t.equal(findCommand(['--json'], known), undefined)
  t.equal(findCommand(['bogus'], known), 'bogus')
})

t.test('parses global and command flags anywhere', async (t) => {
  const a = parseCommandArgs(['--insecure-registry', 'h1', 'copy', 'src', '--json', 'dst', '--insecure-registry=h2', '--all-platforms', '-q'],
    'copy', { 'all-platforms': { type: 'boolean' } })
  t.same(a.positionals, ['src', 'dst'])
  t.same(a.global.insecureRegistries, ['h1', 'h2'])
  t.equal(a.global.json, true)
  t.equal(a.global.quiet, true)
  t.equal(a.values['all-platforms'], true)
})

t.test('unknown flags and wrong arity are usage errors naming the problem', async (t) => {
  const e = t.throws(() => parseCommandArgs(['copy', '--bogus'], 'copy', {})) as UsageError
  t.type(e, UsageError)
  t.equal(e.code, 'ERR_USAGE')
  t.match(e.message, /--bogus/)
  const args = parseCommandArgs(['copy', 'a'], 'copy', {})
  t.throws(() => expectPositionals(args, 'copy', ['SRC', 'DST']), /missing DST/)
  const extra = parseCommandArgs(['copy', 'a', 'b', 'c'], 'copy', {})
  t.throws(() => expectPositionals(extra, 'copy', ['SRC', 'DST']), /unexpected argument "c"/)
})

t.test('--network takes pack\'s values: on unless none (pack\'s default), host, default, bridge or bare mean on, a named network is a usage error', async (t) => {
  const opts = { network: { type: 'string' as const }, path: { type: 'string' as const } }
  const parse = (...argv: string[]) => parseCommandArgs(['build', 'app', ...argv], 'build', opts)
  const on = (...argv: string[]) => networkOn(parse(...argv).values)
  t.equal(on(), true, 'no flag: the network, as pack builds')
  t.equal(on('--network'), true)
  t.equal(parse('--network').values.network, 'host')
  t.equal(on('--network', 'host', '--path', '.'), true)
  t.same(parse('--network', 'host').positionals, ['app'], 'the value is not taken for a positional')
  t.equal(on('--network=bridge'), true)
  t.equal(on('--network=default'), true)
  t.equal(on('--network=none'), false)
  t.equal(on('--network', 'none'), false)
  t.same(parse('--network', 'none').positionals, ['app'])
  t.same(parse('--network', 'app2').positionals, ['app', 'app2'], 'a word that is no network value stays a positional')
  t.throws(() => parse('--network=my-net'), { code: 'ERR_USAGE', message: /--network=my-net: lading has no container networks/ })
  t.throws(() => parseCommandArgs(['digest', '--network=host'], 'digest', {}), { code: 'ERR_USAGE', message: /Unknown option '--network'/ }, 'only commands with --network take it')
})
