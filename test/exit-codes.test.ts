import t from 'tap'
import { ExitCodes, exitCodeFor } from '../lib/exit-codes.js'

t.test('maps error codes to the exit-code table', async (t) => {
  t.equal(exitCodeFor(undefined), ExitCodes.FAILED)
  t.equal(exitCodeFor('ERR_USAGE'), 3)
  t.equal(exitCodeFor('ERR_REFERENCE_INVALID'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_DIGEST_MISMATCH'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_LAYER_UNSAFE_PATH'), ExitCodes.INVALID_INPUT)
  t.equal(exitCodeFor('ERR_REGISTRY_UNAUTHORIZED'), ExitCodes.AUTH)
  t.equal(exitCodeFor('ERR_REGISTRY_NOT_FOUND'), ExitCodes.NOT_FOUND)
  t.equal(exitCodeFor('ERR_REGISTRY_UNREACHABLE'), ExitCodes.UNAVAILABLE)
  t.equal(exitCodeFor('ERR_SOMETHING_NEW'), ExitCodes.FAILED)
  t.equal(ExitCodes.DETECT_FAILED, 20)
  t.equal(ExitCodes.PLATFORM_API, 11)
})

t.test("the README's exit-code list is the table, row for row", async (t) => {
  const { readFile } = await import('node:fs/promises')
  const { EXIT_CODE_TABLE } = await import('../lib/exit-codes.js')
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Exit codes'))
  const rows = [...section.matchAll(/^\| (\d+) \| `([A-Z_]+)` \| (.+) \|$/gm)].map((m) => [Number(m[1]), m[2], m[3]!.replace(/\\\|/g, '|')])
  const want = Object.entries(EXIT_CODE_TABLE).map(([name, e]) => [e.code, name, e.meaning])
  t.same(rows, want)
})

t.test('every code in the table is distinct and named once', async (t) => {
  const { EXIT_CODE_TABLE } = await import('../lib/exit-codes.js')
  const codes = Object.values(EXIT_CODE_TABLE).map((e) => e.code)
  t.equal(new Set(codes).size, codes.length)
})
