import t from 'tap'
import type { Credential } from '../../lib/registry/credential.js'
import { credentialSecrets } from '../../lib/registry/keychain.js'

t.test('each credential form has the secrets the logs must never show', async (t) => {
  const forms: Credential[] = [{ username: 'u', password: 'p4ss' }, { identityToken: 'id-tok' }, { registryToken: 'reg-tok' }]
  t.same(forms.map((c) => credentialSecrets(c)), [['p4ss', Buffer.from('u:p4ss').toString('base64')], ['id-tok'], ['reg-tok']])
  t.same(credentialSecrets(undefined), [])
})
