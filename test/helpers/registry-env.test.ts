// The shared registry set-up: what it starts answers, and everything is gone when the test ends.
import t from 'tap'
import { existsSync } from 'node:fs'
import { registryEnv } from './registry-env.js'

t.test('registry + proxy without base images; stopped and removed at the end of the test', async (t) => {
  let work = ''
  let proxyUrl = ''
  await t.test('set-up', async (t) => {
    const env = await registryEnv(t, { name: 'env-check', base: false })
    work = env.work
    proxyUrl = env.proxy.url
    t.ok(existsSync(work))
    t.equal((await fetch(`${env.reg.url}/v2/`)).status, 200)
    t.equal((await fetch(`${proxyUrl}/v2/`)).status, 200)
    t.same(env.proxy.requests.map((r) => `${r.method} ${r.path}`), ['GET /v2/'])
    t.notOk('base' in env)
  })
  t.notOk(existsSync(work), 'work dir removed')
  await t.rejects(fetch(`${proxyUrl}/v2/`), 'proxy stopped')
})
