import t from 'tap'
import { parseReference } from '../../lib/oci/index.js'
import {
  apiAtLeast, checkRebase, decodeLifecycleMetadata, emptyLayersMetadata, encodeLifecycleMetadata, envValue,
  rebasedLabels, rebasedLifecycleMetadata, type RebaseImageConfig,
} from '../../lib/platform/index.js'

const parse = (s: string) => parseReference(s)

function image(opts: { api?: string; labels?: Record<string, string>; os?: string; arch?: string; variant?: string }): RebaseImageConfig {
  const c: any = { os: opts.os ?? 'linux', architecture: opts.arch ?? 'amd64', config: { Labels: opts.labels ?? {}, Env: ['PATH=/usr/bin'] } }
  if (opts.variant) c.variant = opts.variant
  if (opts.api) c.config.Env.push(`CNB_PLATFORM_API=${opts.api}`)
  return c
}

const DISTRO = { 'io.buildpacks.base.distro.name': 'ubuntu', 'io.buildpacks.base.distro.version': '22.04' }

t.test('envValue and apiAtLeast', async (t) => {
  t.equal(envValue(['A=1', 'CNB_PLATFORM_API=0.13', 'B=x=y'], 'CNB_PLATFORM_API'), '0.13')
  t.equal(envValue(['B=x=y'], 'B'), 'x=y')
  t.equal(envValue(null, 'A'), undefined)
  t.equal(envValue(['AB=1'], 'A'), undefined)
  const CASES: Array<[string, string, boolean]> = [
    ['0.12', '0.12', true], ['0.13', '0.12', true], ['0.9', '0.12', false], ['0.11', '0.12', false],
    ['1', '0.12', true], ['1.0', '1', true], ['0.1', '0.12', false], ['x', '0.12', false], ['', '0.12', false],
  ]
  for (const [v, min, want] of CASES) t.equal(apiAtLeast(v, min), want, `${v} >= ${min}`)
})

t.test('target mode (app CNB_PLATFORM_API >= 0.12)', async (t) => {
  const CASES: Array<[string, RebaseImageConfig, RebaseImageConfig, RegExp[]]> = [
    ['compatible', image({ api: '0.13', labels: DISTRO }), image({ labels: DISTRO }), []],
    ['no distro labels anywhere', image({ api: '0.12' }), image({}), []],
    ['new base without distro labels', image({ api: '0.12', labels: DISTRO }), image({}), []],
    ['rebasable=false', image({ api: '0.13', labels: { 'io.buildpacks.rebasable': 'false' } }), image({}), [/not marked as rebasable/]],
    ['rebasable=true', image({ api: '0.13', labels: { 'io.buildpacks.rebasable': 'true' } }), image({}), []],
    ['os mismatch', image({ api: '0.13' }), image({ os: 'windows' }), [/incompatible os: new run image os "windows" does not match app image os "linux"/]],
    ['arch mismatch', image({ api: '0.13' }), image({ arch: 'arm64' }), [/incompatible architecture/]],
    ['variant mismatch', image({ api: '0.13', arch: 'arm', variant: 'v7' }), image({ arch: 'arm', variant: 'v6' }), [/incompatible variant/]],
    ['variant on one side only', image({ api: '0.13', arch: 'arm', variant: 'v7' }), image({ arch: 'arm' }), []],
    ['distro version mismatch', image({ api: '0.13', labels: DISTRO }), image({ labels: { ...DISTRO, 'io.buildpacks.base.distro.version': '24.04' } }),
      [/incompatible io\.buildpacks\.base\.distro\.version: new run image "24\.04" does not match app image "22\.04"/]],
    ['app lacks distro labels', image({ api: '0.13' }), image({ labels: DISTRO }),
      [/app image has no io\.buildpacks\.base\.distro\.name/, /app image has no io\.buildpacks\.base\.distro\.version/]],
    ['empty values are not compared', image({ api: '0.13', labels: { ...DISTRO, 'io.buildpacks.base.distro.version': '' } }), image({ labels: DISTRO }), []],
    ['stack ids are not checked', image({ api: '0.13', labels: { 'io.buildpacks.stack.id': 'a' } }), image({ labels: { 'io.buildpacks.stack.id': 'b' } }), []],
  ]
  for (const [name, app, newBase, errs] of CASES) {
    const r = checkRebase({ app, newBase, force: false })
    t.equal(r.mode, 'target', name)
    t.equal(r.errors.length, errs.length, `${name}: error count`)
    errs.forEach((re, i) => t.match(r.errors[i], re, name))
    t.same(r.warnings, [], `${name}: no warnings`)
    const forced = checkRebase({ app, newBase, force: true })
    t.same(forced.errors, [], `${name}: force clears errors`)
    t.equal(forced.warnings.length, errs.length, `${name}: force turns them into warnings`)
    forced.warnings.forEach((w) => t.match(w, /\(ignored: forced\)$/))
  }
})

t.test('legacy mode (no or old CNB_PLATFORM_API): force does not help', async (t) => {
  const S = (id: string, mixins?: string[]) => ({ 'io.buildpacks.stack.id': id, ...(mixins ? { 'io.buildpacks.stack.mixins': JSON.stringify(mixins) } : {}) })
  const CASES: Array<[string, RebaseImageConfig, RebaseImageConfig, RegExp[]]> = [
    ['same stack', image({ labels: S('io.buildpacks.stacks.jammy') }), image({ labels: S('io.buildpacks.stacks.jammy') }), []],
    ['old api, same stack', image({ api: '0.9', labels: S('s') }), image({ labels: S('s') }), []],
    ['app without stack id', image({}), image({ labels: S('s') }), [/app image has no io\.buildpacks\.stack\.id/]],
    ['new base without stack id', image({ labels: S('s') }), image({}), [/new run image has no io\.buildpacks\.stack\.id/]],
    ['different stacks', image({ labels: S('a') }), image({ labels: S('b') }), [/incompatible stack: new run image stack id "b" does not match app image stack id "a"/]],
    ['mixins covered, prefixes ignored', image({ labels: S('s', ['curl', 'run:git']) }), image({ labels: S('s', ['git', 'build:curl', 'x']) }), []],
    ['missing mixins', image({ labels: S('s', ['curl', 'git', 'run:jq']) }), image({ labels: S('s', ['curl']) }), [/missing required mixin\(s\): git, jq/]],
    ['unreadable mixins', image({ labels: { ...S('s'), 'io.buildpacks.stack.mixins': 'curl' } }), image({ labels: S('s') }), [/app image label io\.buildpacks\.stack\.mixins is not a JSON array/]],
    ['os mismatch is not checked in legacy mode', image({ labels: S('s') }), image({ os: 'windows', labels: S('s') }), []],
  ]
  for (const [name, app, newBase, errs] of CASES) {
    for (const force of [false, true]) {
      const r = checkRebase({ app, newBase, force })
      t.equal(r.mode, 'legacy', name)
      t.equal(r.errors.length, errs.length, `${name} (force=${force})`)
      errs.forEach((re, i) => t.match(r.errors[i], re, name))
    }
  }
  const weird = checkRebase({ app: image({ api: 'abc', labels: S('s') }), newBase: image({ labels: S('s') }), force: false })
  t.equal(weird.mode, 'legacy')
  t.match(weird.warnings, [/CNB_PLATFORM_API "abc" is not a version/])
})

t.test('run image name check', async (t) => {
  const md = emptyLayersMetadata()
  md.runImage.image = 'registry.example/base/run:jammy'
  md.runImage.mirrors = ['mirror.example/base/run:jammy']
  const app = image({ api: '0.13' })
  const ok = checkRebase({ app, newBase: image({}), force: false, nameCheck: { runImageName: 'mirror.example/base/run:jammy', metadata: md, parse } })
  t.same(ok.errors, [])
  t.equal(ok.nameMatched, true)
  const bad = checkRebase({ app, newBase: image({}), force: false, nameCheck: { runImageName: 'other.example/run:1', metadata: md, parse } })
  t.equal(bad.nameMatched, false)
  t.match(bad.errors, [/run image "other\.example\/run:1" is not the app's run image or one of its mirrors \(registry\.example\/base\/run:jammy, mirror\.example\/base\/run:jammy\)/])
  const forced = checkRebase({ app, newBase: image({}), force: true, nameCheck: { runImageName: 'other.example/run:1', metadata: md, parse } })
  t.same(forced.errors, [])
  t.equal(forced.nameMatched, false)
  t.equal(forced.warnings.length, 1)
  t.equal(checkRebase({ app, newBase: image({}), force: false }).nameMatched, undefined, 'not run without nameCheck')
})

t.test('rebasedLifecycleMetadata (§6.3)', async (t) => {
  const old = decodeLifecycleMetadata(JSON.stringify({
    app: [{ sha: 'sha256:a' }], buildpacks: [{ key: 'k', version: '1', layers: {} }], config: { sha: 'sha256:c' },
    runImage: { topLayer: 'sha256:old', reference: 'r@sha256:old', image: 'r/run:1', mirrors: ['m/run:1'] },
    extra: 'dropped',
  })).value
  const frozen = structuredClone(old)
  const md = rebasedLifecycleMetadata(old, 'sha256:new', 'r@sha256:newref')
  t.same(old, frozen, 'input untouched')
  t.same(md.runImage, { topLayer: 'sha256:new', reference: 'r@sha256:newref', image: 'r/run:1', mirrors: ['m/run:1'] })
  t.same(md.app, old.app)
  t.same(md.buildpacks, old.buildpacks)
  const enc = encodeLifecycleMetadata(md)
  t.notMatch(enc, /extra/, 'unknown keys dropped')
  t.match(enc, '"stack":{"runImage":{"image":"r/run:1","mirrors":["m/run:1"]}}')
  const forced = rebasedLifecycleMetadata(old, 'sha256:new', 'o@sha256:x', 'other/run:2')
  t.same(forced.runImage, { topLayer: 'sha256:new', reference: 'o@sha256:x', image: 'other/run:2', mirrors: [] })
  // The lifecycle writes mirrors with omitempty: an empty list is left out of the label.
  t.match(encodeLifecycleMetadata(forced), '"stack":{"runImage":{"image":"other/run:2"}}')
})

t.test('rebasedLabels (§6.3 step 3)', async (t) => {
  const app = {
    'io.buildpacks.lifecycle.metadata': '{}',
    'io.buildpacks.base.distro.version': '22.04',
    'io.buildpacks.stack.id': 'old',
    'io.buildpacks.stack.maintainer': 'old maintainer',
    'io.buildpacks.rebasable': 'true',
    'org.example': 'x',
  }
  const base = {
    'io.buildpacks.base.distro.version': '22.04.1',
    'io.buildpacks.stack.id': 'new',
    'io.buildpacks.rebasable': 'false',
    'org.base.only': 'y',
  }
  t.same(rebasedLabels(app, base), {
    'io.buildpacks.lifecycle.metadata': '{}',
    'io.buildpacks.rebasable': 'true',
    'org.example': 'x',
    'io.buildpacks.base.distro.version': '22.04.1',
    'io.buildpacks.stack.id': 'new',
  })
  t.same(rebasedLabels(null, null), {})
})
