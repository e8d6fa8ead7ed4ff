import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { CommandContext } from '../../lib/cli/context.js'
import { openImage, sourceContext } from '../../lib/cli/distribution-io.js'
import { Output } from '../../lib/cli/output.js'
import { makeBaseImages } from '../../registry-fixtures/index.js'

const flags = { insecureRegistries: [], caCerts: [], quiet: true, json: false, help: false, version: false, verbose: false }

t.test('openImage reads a builder or buildpackage a user names, from a layout; sourceContext keeps its files in the scratch dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-dio-'))
  const ctx = new CommandContext(new Output({ stdout: new PassThrough(), stderr: new PassThrough() }, {}), flags)
  t.teardown(async () => { await ctx.close(); await rm(dir, { recursive: true, force: true }) })
  const base = await makeBaseImages(join(dir, 'base'))
  const img = await openImage(ctx, base.runV1)
  t.match(await img.digest(), /^sha256:[0-9a-f]{64}$/)
  t.equal((await img.config()).config?.User, '1000:1000')
  const src = await sourceContext(ctx)
  t.ok(src.storeDir.startsWith(await ctx.scratchDir()), 'new layers go to the command scratch dir, removed when it ends')
  await t.rejects(openImage(ctx, `oci:${join(dir, 'missing')}`), { code: /^ERR_/ })
})
