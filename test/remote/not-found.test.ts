import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LadingError, wrapError } from '../../lib/errors.js'
import { openLayout } from '../../lib/layout/index.js'
import { isNotFound } from '../../lib/remote/index.js'

t.test('true for the not-found codes of every store, at any depth of the cause chain', async (t) => {
  for (const code of ['ERR_REGISTRY_NOT_FOUND', 'ERR_NOT_FOUND', 'ERR_LAYOUT_NOT_FOUND']) {
    const e = new LadingError(code, 'gone')
    t.ok(isNotFound(e), code)
    t.ok(isNotFound(wrapError('outer', wrapError('middle', e))), `${code} wrapped twice`)
    t.ok(isNotFound(new Error('plain', { cause: e })), `${code} under a plain Error`)
  }
})

t.test('false for other errors and non-errors', async (t) => {
  t.notOk(isNotFound(new LadingError('ERR_REGISTRY_UNAUTHORIZED', 'no')))
  t.notOk(isNotFound(new Error('ERR_NOT_FOUND')), 'a message is not a code')
  t.notOk(isNotFound({ code: 'ERR_NOT_FOUND' }), 'a look-alike object is not a LadingError')
  t.notOk(isNotFound(wrapError('x', new LadingError('ERR_PLATFORM_NOT_FOUND', 'no platform'))))
  const loop = new LadingError('ERR_FAILED', 'a') as LadingError & { cause?: unknown }
  Object.defineProperty(loop, 'cause', { value: loop })
  t.notOk(isNotFound(loop), 'a cause cycle ends')
  t.notOk(isNotFound(undefined))
  t.notOk(isNotFound('ERR_NOT_FOUND'))
})

t.test('real store errors: a missing layout, a missing tag in a layout', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-nf-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  t.ok(isNotFound(await openLayout(join(dir, 'none')).catch((e: unknown) => e)))
  const repo = await openLayout(dir, { create: true })
  t.ok(isNotFound(await repo.manifests.get('missing').catch((e: unknown) => e)))
})
