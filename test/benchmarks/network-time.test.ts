import t from 'tap'
import { networkTime, unionMs } from '../../benchmarks/lib/network-time.js'
import { startCountingRegistry } from '../../benchmarks/lib/counting-registry.js'

t.test('unionMs: time covered by at least one span, overlaps counted once', async (t) => {
  t.equal(unionMs([]), 0)
  t.equal(unionMs([[0, 10]]), 10)
  t.equal(unionMs([[0, 10], [5, 12], [20, 25]]), 17)
  t.equal(unionMs([[20, 25], [0, 10], [2, 3]]), 15, 'in any order; one inside another adds nothing')
})

t.test('networkTime: read at the proxy, two parallel requests counted once, the wait after not at all', async (t) => {
  const cr = await startCountingRegistry()
  t.teardown(() => cr.stop())
  // A registry that takes 80 ms to answer /v2/.
  cr.proxy.setRules([{ match: { path: /^\/v2\/$/ }, action: { delayMs: 80 } }])
  const script = (host: string) => `const http = require('node:http')
const get = () => new Promise((r) => http.get('http://${host}/v2/', (res) => { res.resume(); res.on('end', r) }))
Promise.all([get(), get()]).then(() => setTimeout(() => {}, 300))`
  const made: number[] = []
  const net = await networkTime(cr, (host, run) => {
    made.push(run)
    return { argv: [process.execPath, '-e', script(host)] }
  }, 3)
  t.same(made, [-2, -1, 0, 1, 2], 'two runs not counted, then three')
  t.same(net.requests, [2, 2, 2])
  t.ok(net.ms.min >= 75, `at least the registry's 80 ms (${net.ms.min})`)
  t.ok(net.ms.max < 250, `the two overlap, and the 300 ms wait after is not network (${net.ms.max})`)
  await t.rejects(networkTime(cr, () => ({ argv: [process.execPath, '-e', ''] }), 1, 0), /sent no request/)
})
