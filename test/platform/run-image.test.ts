import t from 'tap'
import { parseReference } from '../../lib/oci/index.js'
import {
  RunImageUnavailableError, emptyLayersMetadata, normalizeImageName, pickReadable, runImageCandidates, runImageEntryFor,
  runImageNameMatches, selectRebaseRunImage, selectRunImage, type RunFile,
} from '../../lib/platform/index.js'

const parse = (s: string) => parseReference(s)

/** A probe over a fixed set of readable names that records what it was asked. */
function probe(readable: string[]) {
  const asked: string[] = []
  const fn = async (ref: string) => { asked.push(ref); return readable.includes(ref) }
  return { fn, asked }
}

t.test('normalizeImageName', async (t) => {
  const CASES: Array<[string, string]> = [
    ['ubuntu', 'docker.io/library/ubuntu:latest'],
    ['index.docker.io/library/ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['localhost:5000/base/run', 'localhost:5000/base/run:latest'],
    [`registry.example/base/run:jammy@sha256:${'0'.repeat(64)}`, 'registry.example/base/run:jammy'],
    [`registry.example/base/run@sha256:${'0'.repeat(64)}`, 'registry.example/base/run:latest'],
  ]
  for (const [input, want] of CASES) t.equal(normalizeImageName(input, parse), want, input)
  t.throws(() => normalizeImageName('Bad Name', parse), { code: 'ERR_REFERENCE_INVALID' })
})

t.test('runImageCandidates drops empties and duplicates', async (t) => {
  t.same(runImageCandidates({ image: 'a', mirrors: ['b', 'a', '', 'c'] }), ['a', 'b', 'c'])
  t.same(runImageCandidates({ image: '', mirrors: [] }), [])
})

t.test('pickReadable: same registry and readable first, else first readable', async (t) => {
  const cands = ['registry.example/base/run:jammy', 'mirror.example/base/run:jammy', 'app.example/base/run:jammy']
  const CASES: Array<[string, string, string[], string]> = [
    ['mirror on app registry wins', 'app.example', cands, cands[2]!],
    ['unreadable mirror on app registry is skipped', 'app.example', [cands[0]!, cands[1]!], cands[0]!],
    ['no same-registry candidate: first readable', 'other.example', [cands[1]!, cands[2]!], cands[1]!],
    ['image itself on app registry', 'registry.example', cands, cands[0]!],
  ]
  for (const [name, reg, readable, want] of CASES) {
    const p = probe(readable)
    t.equal(await pickReadable(cands, reg, parse, p.fn), want, name)
    t.equal(new Set(p.asked).size, p.asked.length, `${name}: each name probed at most once`)
  }
  const none = probe([])
  const err = await pickReadable(cands, 'app.example', parse, none.fn).catch((e) => e)
  t.type(err, RunImageUnavailableError)
  t.equal(err.code, 'ERR_RUN_IMAGE_UNAVAILABLE')
  t.same(err.candidates, cands)
  t.same(none.asked, [cands[2], cands[0], cands[1]], 'same-registry first, then the rest in order; each once')
  await t.rejects(pickReadable(cands, 'x', parse, async () => { throw new Error('boom') }), /boom/, 'probe errors propagate')
})

t.test('selectRunImage from run.toml (§9.3)', async (t) => {
  const run: RunFile = {
    images: [
      { image: 'registry.example/base/run:jammy', mirrors: ['app.example/mirror/run:jammy'] },
      { image: 'registry.example/base/run:noble', mirrors: ['other.example/run:noble'] },
    ],
  }
  const all = probe(['registry.example/base/run:jammy', 'app.example/mirror/run:jammy'])
  t.same(await selectRunImage({ run, appImage: 'app.example/team/app:v1', parse, readable: all.fn }), {
    name: 'app.example/mirror/run:jammy', entry: run.images[0],
  })
  const onlyImage = probe(['registry.example/base/run:jammy'])
  t.equal((await selectRunImage({ run, appImage: 'app.example/team/app', parse, readable: onlyImage.fn })).name, 'registry.example/base/run:jammy')

  // An explicit --run-image is used as is, never probed; the label entry is the one containing it.
  const p = probe([])
  t.same(await selectRunImage({ run, appImage: 'a/b', runImage: 'other.example/run:noble', parse, readable: p.fn }),
    { name: 'other.example/run:noble', entry: run.images[1] })
  t.same(p.asked, [])
  t.same((await selectRunImage({ run, appImage: 'a/b', runImage: 'elsewhere/run:1', parse, readable: p.fn })).entry, run.images[0],
    'not in run.toml: first entry')
  t.same(await selectRunImage({ run: { images: [] }, appImage: 'a/b', runImage: 'x/run', parse, readable: p.fn }),
    { name: 'x/run', entry: { image: 'x/run', mirrors: [] } })
  await t.rejects(selectRunImage({ run: { images: [] }, appImage: 'a/b', parse, readable: p.fn }), RunImageUnavailableError)
})

t.test('runImageEntryFor compares normalised names', async (t) => {
  const run: RunFile = { images: [{ image: 'a/run:1', mirrors: [] }, { image: 'docker.io/library/run', mirrors: ['m/run:2'] }] }
  t.same(runImageEntryFor(run, 'index.docker.io/library/run:latest', parse), run.images[1])
  t.same(runImageEntryFor(run, 'm/run:2@sha256:' + '1'.repeat(64), parse), run.images[1])
})

t.test('rebase: candidates from the label, name match', async (t) => {
  const md = emptyLayersMetadata()
  md.runImage.image = 'registry.example/base/run:jammy'
  md.runImage.mirrors = ['app.example/base/run:jammy']
  const p = probe(['registry.example/base/run:jammy', 'app.example/base/run:jammy'])
  t.equal(await selectRebaseRunImage(md, 'app.example/team/app', parse, p.fn), 'app.example/base/run:jammy')
  t.equal(await selectRebaseRunImage(md, 'x.example/team/app', parse, p.fn), 'registry.example/base/run:jammy')
  await t.rejects(selectRebaseRunImage(emptyLayersMetadata(), 'a/b', parse, p.fn), { code: 'ERR_RUN_IMAGE_UNAVAILABLE', message: /names none/ })

  const MATCH: Array<[string, boolean]> = [
    ['registry.example/base/run:jammy', true],
    [`registry.example/base/run:jammy@sha256:${'2'.repeat(64)}`, true],
    ['app.example/base/run:jammy', true],
    ['registry.example/base/run:noble', false],
    ['registry.example/base/run', false],
  ]
  for (const [name, want] of MATCH) t.equal(runImageNameMatches(name, md, parse), want, name)
  const hub = emptyLayersMetadata()
  hub.runImage.image = 'paketobuildpacks/run-jammy-base'
  t.ok(runImageNameMatches('index.docker.io/paketobuildpacks/run-jammy-base:latest', hub, parse))
})
