import t from 'tap'
import { PushHints } from '../../lib/rebase/push-hints.js'

t.test('a run starts by writing blobs first; the second image asks, then every 32nd', async (t) => {
  const h = new PushHints()
  const asks = Array.from({ length: 70 }, () => h.ask('config'))
  t.same(asks.flatMap((a, i) => (a ? [i + 1] : [])), [2, 34, 66])
})

t.test('answers that find the blobs there turn asking on; misses turn it off again', async (t) => {
  const h = new PushHints()
  t.equal(h.ask('layers x'), false, 'the first image of a run writes first')
  t.equal(h.ask('layers x'), true)
  h.record('layers x', 2, 0)
  t.equal(h.ask('layers x'), true, 'found there: keep asking')
  h.record('layers x', 0, 4)
  t.equal(h.ask('layers x'), false, 'three more misses than hits: stop')
  t.equal(h.ask('config'), false, 'each kind has its own tally')
})
