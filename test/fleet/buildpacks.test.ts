import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BuildpackLists } from '../../lib/fleet/index.js'
import { writeBp } from '../helpers/fleet-layout.js'


t.test('directories and ID@VERSION, one read per distinct list; versions for BUILDPACK', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lading-fleet-bps-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeBp(join(dir, 'local'), 'ex/local', '2.0.0')
  await writeBp(join(dir, 'store', 'a1'), 'ex/a', '1.0.0')
  await writeBp(join(dir, 'store', 'a2'), 'ex/a', '1.1.0')
  const lists = new BuildpackLists(dir, 'store')
  const p = lists.get(['./local', 'ex/a@1.0.0'])
  t.equal(lists.get(['./local', 'ex/a@1.0.0']), p, 'cached per list')
  const r = await p
  t.same(r.order, [{ group: [{ id: 'ex/local', version: '2.0.0' }, { id: 'ex/a', version: '1.0.0' }] }])
  t.same([...r.versions.get('ex/a')!].sort(), ['1.0.0', '1.1.0'])
  t.same([...r.versions.get('ex/local')!], ['2.0.0'])
  t.same((await lists.get(['ex/a'])).order[0]!.group, [{ id: 'ex/a', version: '1.1.0' }], 'no version: the newest')
  await t.rejects(lists.get(['ex/none']), /ex\/none/)
  await t.rejects(new BuildpackLists(dir).get(['ex/a@1.0.0']), /ex\/a/, 'an id needs --buildpacks-dir')
})
