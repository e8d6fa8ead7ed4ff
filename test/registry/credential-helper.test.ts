import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.js'
import { CredentialHelperError, runCredentialHelper } from '../../lib/registry/credential-helper.js'
import { installTestHelper } from './helper-script.js'

const h = installTestHelper()
t.teardown(h.cleanup)

t.test('get: user/secret, identity token, not found', async (t) => {
  t.same(await runCredentialHelper('test', 'known.example'), { username: 'alice', password: 's3cret-pass' })
  t.same(await runCredentialHelper('test', 'token.example'), { identityToken: 'id-token-123' })
  t.equal(await runCredentialHelper('test', 'nobody.example'), undefined)
  t.match(readFileSync(h.log, 'utf8'), /^get known\.example$/m, 'verb "get" as argument, server URL on stdin')
})

t.test('failures are typed and never echo helper output', async (t) => {
  const e = await runCredentialHelper('test', 'broken.example').catch((x: unknown) => x)
  t.ok(e instanceof CredentialHelperError)
  t.equal((e as CredentialHelperError).code, 'ERR_CREDENTIAL_HELPER')
  t.notMatch((e as Error).message, /secret-in-stdout/)
  await t.rejects(runCredentialHelper('test', 'slow.example', { timeoutMs: 200 }), /timed out/)
  await t.rejects(runCredentialHelper('does-not-exist-xyz', 'a'), /not on PATH/)
  await t.rejects(runCredentialHelper('../evil', 'a'), /invalid credential helper name/)
})

t.test('a failing credential helper exits 5 (AUTH) and never prints the secret', async (t) => {
  // A registry that asks for Basic credentials: the keychain (credsStore: test) must be consulted.
  const server = createServer((req, res) => {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'application/json' })
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())))
  const port = (server.address() as AddressInfo).port
  const dir = mkdtempSync(join(tmpdir(), 'lading-docker-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: 'test' }))
  const old = process.env.DOCKER_CONFIG
  process.env.DOCKER_CONFIG = dir
  t.teardown(() => { if (old === undefined) delete process.env.DOCKER_CONFIG; else process.env.DOCKER_CONFIG = old })
  for (const verbose of [[], ['-v']]) {
    const r = await runCli([...verbose, 'digest', `localhost:${port}/app:1`])
    t.equal(r.code, 5, `exit 5 ${verbose.join(' ')}`)
    t.match(r.stderr, /credential helper failed for localhost:\d+/)
    t.notMatch(r.stderr + r.stdout, /secret-in-std/, 'helper output never printed')
  }
})
