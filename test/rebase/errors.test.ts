import t from 'tap'
import { LadingError } from '../../lib/errors.js'
import { PhaseError } from '../../lib/phase-error.js'
import { REBASE_EXIT_CODES, RebaseError } from '../../lib/rebase/index.js'

t.test('each kind has its own exit code in the lifecycle rebase range', async (t) => {
  const codes = Object.values(REBASE_EXIT_CODES)
  t.equal(new Set(codes).size, codes.length)
  for (const c of codes) t.ok(c >= 70 && c <= 79, `${c} in 70-79`)
  t.equal(REBASE_EXIT_CODES.failed, 70, "the lifecycle's own rebase code")
})

t.test('RebaseError is a PhaseError of the rebase phase; refusals are skips', async (t) => {
  const e = new RebaseError('refused', 'no', { cause: new Error('inner') })
  t.ok(e instanceof PhaseError)
  t.ok(e instanceof LadingError)
  t.equal(e.phase, 'rebase')
  t.equal(e.code, 'ERR_PHASE_REBASE')
  t.equal(e.exitCode, 71)
  t.equal(e.skipped, true)
  t.equal(new RebaseError('not-cnb', 'x').skipped, true)
  for (const k of ['failed', 'label', 'old-base', 'run-image'] as const) t.equal(new RebaseError(k, 'x').skipped, false, k)
})
