import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { COMMANDS } from '../../lib/cli/index.js'

t.test('--help lists every command; each command has its own help', async (t) => {
  const top = await runCli(['--help'])
  t.equal(top.code, 0)
  for (const c of COMMANDS) t.match(top.stdout, new RegExp(`\\n  ${c.name} `))
  t.match(top.stdout, /--insecure-registry/)
  for (const c of COMMANDS) {
    const h = await runCli([c.name, '--help'])
    t.equal(h.code, 0, `${c.name} --help`)
    t.match(h.stdout, new RegExp(`Usage: lading ${c.name} `))
    t.match(h.stdout, /Examples:/)
    const after = await runCli(['--help', c.name])
    t.equal(after.stdout, h.stdout, 'help flag before the command too')
  }
  const none = await runCli([])
  t.equal(none.code, 0)
  t.match(none.stdout, /Commands:/)
  t.match((await runCli(['--version'])).stdout, /^lading \d+\.\d+\.\d+/)
})

t.test('the command table loads each command lazily, and its row matches the command', async (t) => {
  for (const entry of COMMANDS) {
    const c = await entry.load()
    t.equal(c.name, entry.name)
    t.equal(c.summary, entry.summary, `${entry.name}: the table's summary is the command's`)
  }
})

t.test('usage errors exit 3 and say what to do', async (t) => {
  const unknown = await runCli(['frobnicate'])
  t.equal(unknown.code, 3)
  t.match(unknown.stderr, /unknown command "frobnicate"/)
  const missing = await runCli(['copy', 'only-one'])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /missing DST/)
  t.match(missing.stderr, /lading copy --help/)
  const badFlag = await runCli(['tags', 'x', '--nope'])
  t.equal(badFlag.code, 3)
  t.match(badFlag.stderr, /--nope/)
  const noLayer = await runCli(['append', 'scratch', 'oci:/tmp/x'])
  t.equal(noLayer.code, 3)
  t.match(noLayer.stderr, /--layer/)
  const badConc = await runCli(['copy', 'a', 'b', '--concurrency', 'zero'])
  t.equal(badConc.code, 3)
})

t.test('a bad reference exits 4 and quotes the reference', async (t) => {
  const r = await runCli(['digest', 'Not/Valid:ref!'])
  t.equal(r.code, 4)
  t.match(r.stderr, /Not\/Valid:ref!/)
})
