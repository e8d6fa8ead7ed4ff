import t from 'tap'
import { PushHints } from '../../lib/rebase/push-hints.js'

t.test('asks while the registry keeps finding blobs there; stops after three more misses than hits, with an occasional ask', async (t) => {
  const h = new PushHints()
  const asks: boolean[] = []
  for (let i = 0; i < 64; i++) {
    const ask = h.ask('config')
    asks.push(ask)
    if (ask) h.record('config', 0, 1)
  }
  t.same(asks.slice(0, 4), [true, true, true, false])
  t.equal(asks.filter(Boolean).length, 5, 'three, then every 32nd')
  t.ok(asks[31] && asks[63])
  h.record('config', 5, 0)
  t.equal(h.ask('config'), true, 'hits bring the asks back')
  t.equal(h.ask('layers x'), true, 'each kind has its own tally')
})
