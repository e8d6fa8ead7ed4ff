import t from 'tap'
import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { GlobalFlags } from '../../lib/cli/args.js'
import { CommandContext } from '../../lib/cli/context.js'
import { Output } from '../../lib/cli/output.js'
import { runCli } from '../helpers/cli.js'

type T = { teardown(fn: () => unknown): void }

function context(t: T, flags: Partial<GlobalFlags> = {}): CommandContext {
  const g: GlobalFlags = { insecureRegistries: [], caCerts: [], quiet: false, json: false, help: false, version: false, verbose: false, ...flags }
  const ctx = new CommandContext(new Output({ stdout: new PassThrough(), stderr: new PassThrough() }, g), g)
  t.teardown(() => ctx.close())
  return ctx
}

async function tempDir(t: T): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lading-ctx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const DIGEST = `sha256:${'a'.repeat(64)}`

t.test('oci:DIR with and without a tag', async (t) => {
  const dir = await tempDir(t)
  const ctx = context(t)
  const plain = await ctx.target(`oci:${dir}/out`, { create: true })
  t.equal(plain.identifier, 'latest')
  t.same(plain.tags, ['latest'])
  t.equal(plain.repo.name, `oci:${dir}/out`)
  t.equal(plain.ref, undefined)
  t.equal(plain.display, `oci:${dir}/out`)
  t.ok((await stat(join(dir, 'out', 'oci-layout'))).isFile(), 'created when asked')
  const tagged = await ctx.target(`oci:${dir}/out:v1.2`)
  t.equal(tagged.identifier, 'v1.2')
  t.same(tagged.tags, ['v1.2'])
  const byDigest = await ctx.target(`oci:${dir}/out:${DIGEST}`)
  t.equal(byDigest.identifier, DIGEST)
  t.same(byDigest.tags, [], 'a digest is read, never written as a tag')
  await t.rejects(ctx.target(`oci:${dir}/absent`), { code: 'ERR_LAYOUT_NOT_FOUND' }, 'not created when reading')
  await t.rejects(ctx.target('oci:'), { code: 'ERR_REFERENCE_INVALID' })
})

t.test('registry references: tag, digest, default tag', async (t) => {
  const ctx = context(t)
  const tagged = await ctx.target('127.0.0.1:5000/team/app:1.2')
  t.equal(tagged.identifier, '1.2')
  t.same(tagged.tags, ['1.2'])
  t.equal(tagged.repo.name, '127.0.0.1:5000/team/app')
  t.equal(tagged.ref?.repository, 'team/app')
  t.equal(tagged.display, '127.0.0.1:5000/team/app:1.2')
  t.equal(typeof tagged.repo.blobs.cached, 'function', 'registry repositories consult the local config cache')
  t.equal(typeof tagged.repo.blobs.mount, 'function', 'and keep their own members')
  const digest = await ctx.target(`127.0.0.1:5000/team/app@${DIGEST}`)
  t.equal(digest.identifier, DIGEST)
  t.same(digest.tags, [])
  const bare = await ctx.target('127.0.0.1:5000/team/app')
  t.equal(bare.identifier, 'latest')
  t.same(bare.tags, ['latest'])
  await t.rejects(ctx.target('Not A Ref'), { code: 'ERR_REFERENCE_INVALID' })
})

t.test('--ca-cert that cannot be read is a usage error when the registry is first used', async (t) => {
  const dir = await tempDir(t)
  const ctx = context(t, { caCerts: [join(dir, 'missing.pem')] })
  // Layouts never need the registry client.
  t.equal((await ctx.target(`oci:${dir}/l`, { create: true })).identifier, 'latest')
  await t.rejects(ctx.target('127.0.0.1:5000/app:1'), { code: 'ERR_USAGE', message: /--ca-cert .*missing\.pem: cannot read the file \(ENOENT\)/ })
  t.throws(() => ctx.registry, { code: 'ERR_USAGE' })
  const unreadable = join(dir, 'dir.pem')
  await writeFile(unreadable, '')
  await chmod(unreadable, 0o000)
  if (process.getuid?.() !== 0) {
    t.throws(() => context(t, { caCerts: [unreadable] }).registry, { code: 'ERR_USAGE', message: /EACCES/ })
  }
})

t.test('--ca-cert /etc/passwd (no PEM certificate) is refused with ERR_TLS_CA_INVALID, exit 4', async (t) => {
  const ctx = context(t, { caCerts: ['/etc/passwd'] })
  await t.rejects(ctx.target('127.0.0.1:5000/app:1'), { code: 'ERR_TLS_CA_INVALID', message: /no PEM certificate/ })
  const r = await runCli(['--ca-cert', '/etc/passwd', 'digest', '127.0.0.1:9/app:1'])
  t.equal(r.code, 4)
  t.match(r.stderr, /--ca-cert \/etc\/passwd: no PEM certificate/)
})

t.test('name@md5:abc is refused as invalid input (exit 4) before any network', async (t) => {
  // 127.0.0.1:9 has nothing listening: reaching the network would exit 7, not 4.
  for (const ref of ['name@md5:abc', '127.0.0.1:9/name@md5:abc']) {
    const r = await runCli(['digest', ref])
    t.equal(r.code, 4, ref)
    t.match(r.stderr, /digest algorithm "md5" is not supported/)
  }
})

t.test('the registry client is created once', async (t) => {
  const ctx = context(t)
  t.equal(ctx.registry, ctx.registry)
})

t.test('--platform parsing', async (t) => {
  const ctx = context(t)
  t.equal(ctx.platform(undefined), undefined)
  t.same(ctx.platform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' })
  t.same(ctx.platform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v6' })
  t.throws(() => ctx.platform('linux'), { code: 'ERR_USAGE', message: /--platform linux: / })
  t.throws(() => ctx.platform('a/b/c/d'), { code: 'ERR_USAGE' })
})

t.test('scratchDir: one private temp dir per command, removed by close()', async (t) => {
  const ctx = context(t)
  const dir = await ctx.scratchDir()
  t.equal(await ctx.scratchDir(), dir, 'the same dir on every call')
  await writeFile(join(dir, 'f'), 'x')
  t.equal((await stat(dir)).mode & 0o777, 0o700)
  await ctx.close()
  await t.rejects(stat(dir), { code: 'ENOENT' })
})
