import t from 'tap'
import { runTool, runToolOk } from '../../registry-fixtures/index.js'

t.test('runTool captures output, exit code, input and env without a shell', async (t) => {
  const r = await runTool('sh', ['-c', 'cat; echo "$FOO" >&2; exit 4'], { input: 'in', env: { FOO: 'bar' } })
  t.same(r, { stdout: 'in', stderr: 'bar\n', code: 4 })
  t.equal(await runToolOk('echo', ['a;b', '$HOME']), 'a;b $HOME\n', 'arguments are not shell-expanded')
})

t.test('runToolOk rejects with the stderr tail; missing tools reject', async (t) => {
  await t.rejects(runToolOk('sh', ['-c', 'echo boom >&2; exit 2']), { code: 'ERR_FIXTURE_TOOL_FAILED', message: /exited 2: boom/ })
  await t.rejects(runTool('/nonexistent/tool', []), { code: 'ERR_FIXTURE_TOOL_SPAWN' })
})

t.test('credential flags are redacted from error messages', async (t) => {
  const err = await runToolOk('sh', ['-c', 'exit 1', '--creds', 'u:secretpw', '--dest-creds', 'v:other']).catch((e: Error) => e)
  t.ok(err instanceof Error)
  t.notMatch(String((err as Error).message), /secretpw|other/)
  t.match(String((err as Error).message), /--creds \*\*\* --dest-creds \*\*\*/)
})
