import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  chainKeychain, decodeBasic, dockerAuthConfigKeychain, dockerConfigKeychain, dockerHubApiHost, envKeychain, hostnameOfKey,
  staticKeychain, CredentialConfigError,
} from '../../lib/registry/keychain.js'
import { installTestHelper } from './helper-script.js'

const b64 = (s: string): string => Buffer.from(s).toString('base64')
const h = installTestHelper()
t.teardown(h.cleanup)

function configDir(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'lading-keychain-'))
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('Docker Hub aliasing and hostnames', async (t) => {
  t.equal(dockerHubApiHost('docker.io'), 'registry-1.docker.io')
  t.equal(dockerHubApiHost('index.docker.io'), 'registry-1.docker.io')
  t.equal(dockerHubApiHost('ghcr.io'), 'ghcr.io')
  t.equal(hostnameOfKey('https://index.docker.io/v1/'), 'index.docker.io')
  t.equal(hostnameOfKey('HTTP://Reg.example:5000/path'), 'reg.example:5000')
  t.equal(hostnameOfKey('reg.example'), 'reg.example')
})

t.test('decodeBasic', async (t) => {
  t.same(decodeBasic(b64('u:p:with:colons\0\0'), 'x'), { username: 'u', password: 'p:with:colons' })
  t.equal(decodeBasic(b64(':p'), 'x'), undefined)
  t.throws(() => decodeBasic(b64('nocolon'), 'x'), CredentialConfigError)
})

t.test('config auths: auth, identitytoken, registrytoken, username/password; exact then hostname match', async (t) => {
  const dir = configDir({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
      'https://reg.example:5000/v2/': { auth: b64('u1:p1') },
      'acr.example': { identitytoken: 'refresh-1' },
      'tok.example': { registrytoken: 'bearer-1' },
      'plain.example': { username: 'u2', password: 'p2' },
      'empty.example': {},
    },
  })
  const k = dockerConfigKeychain({ configDir: dir })
  t.same(await k.resolve('docker.io'), { username: 'hubuser', password: 'hubpass' })
  t.same(await k.resolve('index.docker.io'), { username: 'hubuser', password: 'hubpass' })
  t.same(await k.resolve('reg.example:5000'), { username: 'u1', password: 'p1' })
  t.same(await k.resolve('acr.example'), { identityToken: 'refresh-1' })
  t.same(await k.resolve('tok.example'), { registryToken: 'bearer-1' })
  t.same(await k.resolve('plain.example'), { username: 'u2', password: 'p2' })
  t.equal(await k.resolve('empty.example'), undefined)
  t.equal(await k.resolve('other.example'), undefined)
})

t.test('credHelpers beat credsStore beat auths; helper "not found" means anonymous', async (t) => {
  const dir = configDir({
    auths: { 'known.example': { auth: b64('file:file') }, 'nobody.example': { auth: b64('file:file') } },
    credHelpers: { 'token.example': 'test' },
    credsStore: 'test',
  })
  const k = dockerConfigKeychain({ configDir: dir })
  t.same(await k.resolve('known.example'), { username: 'alice', password: 's3cret-pass' })
  t.same(await k.resolve('token.example'), { identityToken: 'id-token-123' })
  t.equal(await k.resolve('nobody.example'), undefined)
  t.same(await k.resolve('docker.io'), { username: 'alice', password: 's3cret-pass' }, 'Hub is asked as https://index.docker.io/v1/')
})

t.test('missing config is anonymous; broken config is a clear error without content', async (t) => {
  t.equal(await dockerConfigKeychain({ configDir: '/nonexistent/lading' }).resolve('x'), undefined)
  const dir = configDir('{"auths": {"x": {"auth": "SECRETVALUE"')
  const e = await dockerConfigKeychain({ configDir: dir }).resolve('x').catch((x: unknown) => x)
  t.ok(e instanceof CredentialConfigError)
  t.notMatch((e as Error).message, /SECRETVALUE/)
})

t.test('DOCKER_CONFIG env and DOCKER_AUTH_CONFIG', async (t) => {
  const dir = configDir({ auths: { 'env.example': { auth: b64('e:f') } } })
  const old = process.env.DOCKER_CONFIG
  process.env.DOCKER_CONFIG = dir
  t.teardown(() => {
    if (old === undefined) delete process.env.DOCKER_CONFIG
    else process.env.DOCKER_CONFIG = old
  })
  t.same(await dockerConfigKeychain().resolve('env.example'), { username: 'e', password: 'f' })
  const k = dockerAuthConfigKeychain({ DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'mem.example': { auth: b64('m:n') } } }) })
  t.same(await k.resolve('mem.example'), { username: 'm', password: 'n' })
  t.equal(await dockerAuthConfigKeychain({}).resolve('mem.example'), undefined)
})

t.test('CNB_REGISTRY_AUTH', async (t) => {
  const env = { CNB_REGISTRY_AUTH: JSON.stringify({ 'reg.example': `Basic ${b64('cu:cp')}`, 'index.docker.io': 'Bearer hubtoken', 'bad.example': 'Digest x' }) }
  const k = envKeychain(env)
  t.same(await k.resolve('reg.example'), { username: 'cu', password: 'cp' })
  t.same(await k.resolve('docker.io'), { registryToken: 'hubtoken' })
  t.equal(await k.resolve('none.example'), undefined)
  await t.rejects(k.resolve('bad.example'), CredentialConfigError)
  await t.rejects(envKeychain({ CNB_REGISTRY_AUTH: 'not json SECRET' }).resolve('x'), { message: /^cannot parse CNB_REGISTRY_AUTH/ })
  t.equal(await envKeychain({}).resolve('x'), undefined)
})

t.test('static and chain keychains', async (t) => {
  const a = staticKeychain({ 'a.example': { username: 'a', password: 'b' } })
  const b = staticKeychain({ 'b.example': { registryToken: 't' }, 'a.example': { registryToken: 'never' } })
  const c = chainKeychain(a, b)
  t.same(await c.resolve('a.example'), { username: 'a', password: 'b' })
  t.same(await c.resolve('b.example'), { registryToken: 't' })
  t.equal(await c.resolve('c.example'), undefined)
})
