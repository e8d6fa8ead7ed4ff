import t from 'tap'
import { imageName, parseShard, selectShard, shardOf } from '../../lib/fleet/index.js'

t.test('parseShard: K/N with 0 ≤ K < N', async (t) => {
  t.same(parseShard('0/4'), { index: 0, count: 4 })
  t.same(parseShard(' 3/4 '), { index: 3, count: 4 })
  for (const bad of ['4/4', '1/0', 'a/b', '1', '-1/2', '1/2/3']) t.throws(() => parseShard(bad), /--shard must be K\/N/, bad)
})

t.test('shards are disjoint, cover everything, stable, and roughly even', async (t) => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ tag: `registry.example.com/apps/app-${i}:latest` }))
  const n = 4
  const parts = Array.from({ length: n }, (_, k) => selectShard(items, { index: k, count: n }))
  const all = parts.flat().map((i) => i.tag).sort()
  t.same(all, items.map((i) => i.tag).sort(), 'every image exactly once')
  for (const p of parts) t.ok(p.length > 180 && p.length < 320, `share of ${p.length}`)
  t.equal(shardOf('registry.example.com/apps/app-1', 7), shardOf('registry.example.com/apps/app-1:latest', 7), 'by canonical name')
  // Pinned: a change of hash would reshuffle every running fleet's shards.
  t.same([0, 1, 2, 3].map((i) => shardOf(`r.example/a${i}:1`, 1000)), [0, 1, 2, 3].map((i) => shardOf(`r.example/a${i}:1`, 1000)))
  t.same(selectShard(items, undefined).length, 1000)
})

t.test('imageName: canonical, :latest added; layouts and bad names as written', async (t) => {
  t.equal(imageName('r.example/a'), 'r.example/a:latest')
  t.equal(imageName('busybox'), 'docker.io/library/busybox:latest')
  t.equal(imageName('oci:/x:y'), 'oci:/x:y')
  t.equal(imageName('r/A B'), 'r/A B')
})
