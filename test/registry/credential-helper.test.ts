import t from 'tap'
import { readFileSync } from 'node:fs'
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
  t.equal((e as CredentialHelperError).code, 'ERR_REGISTRY_CREDENTIAL_HELPER')
  t.notMatch((e as Error).message, /secret-in-stdout/)
  await t.rejects(runCredentialHelper('test', 'slow.example', { timeoutMs: 200 }), /timed out/)
  await t.rejects(runCredentialHelper('does-not-exist-xyz', 'a'), /not on PATH/)
  await t.rejects(runCredentialHelper('../evil', 'a'), /invalid credential helper name/)
})
