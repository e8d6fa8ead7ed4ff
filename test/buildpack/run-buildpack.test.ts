import t from 'tap'
import { readdir, readFile, stat, symlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  accumulateBuildLayers, detect, findBuildpacks, removeMetEntries, BuildpackError, BuildpackFileError, buildpackPlanFor, Env, initialBuildEnv, readBuildpackDescriptor,
  runBuild, runDetect, type RunContext,
} from '../../lib/buildpack/index.js'
import { bpToml, hostRunner, script, tempDir, writeTree } from './fixtures.js'

async function world(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t)
  await writeTree(root, { 'app/': '', 'platform/env/BP_GREETING': 'hello', 'layers/': '', 'tmp/': '' })
  const ctx: RunContext = {
    runner: hostRunner,
    appDir: join(root, 'app'),
    platformDir: join(root, 'platform'),
    tmpDir: join(root, 'tmp'),
    env: initialBuildEnv({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/home/x', SECRET_TOKEN: 'nope' }),
    target: { os: 'linux', arch: 'amd64', distro: { name: 'ubuntu', version: '22.04' } },
  }
  return { root, ctx }
}

const DUMP = 'for v in CNB_BUILDPACK_DIR CNB_PLATFORM_DIR CNB_BUILD_PLAN_PATH CNB_BP_PLAN_PATH CNB_LAYERS_DIR CNB_TARGET_OS CNB_TARGET_ARCH CNB_TARGET_ARCH_VARIANT CNB_TARGET_DISTRO_NAME CNB_TARGET_DISTRO_VERSION BP_GREETING SECRET_TOKEN; do echo "$v=${!v:-<unset>}"; done'

t.test('runDetect: argv, env, plan file and outcomes', async (t) => {
  const { root, ctx } = await world(t)
  await writeTree(root, {
    'bp/pass/buildpack.toml': bpToml('acme/pass', '1.0.0'),
    'bp/pass/bin/detect': script(`${DUMP}\necho "ARGS=$1 $2"\necho "CWD=$PWD"\ntest ! -s "$2"\nprintf '[[provides]]\\nname = "x"\\n[[requires]]\\nname = "x"\\n' > "$CNB_BUILD_PLAN_PATH"`),
    'bp/fail/buildpack.toml': bpToml('acme/fail', '1.0.0'),
    'bp/fail/bin/detect': script('echo nope >&2; exit 100'),
    'bp/err/buildpack.toml': bpToml('acme/err', '1.0.0'),
    'bp/err/bin/detect': script('exit 3'),
    'bp/badplan/buildpack.toml': bpToml('acme/badplan', '1.0.0'),
    'bp/badplan/bin/detect': script('printf \'[[requires]]\\nname = "n"\\nversion = "1"\\n\' > "$2"'),
    'bp/nobin/buildpack.toml': bpToml('acme/nobin', '1.0.0'),
    'bp/old/buildpack.toml': bpToml('acme/old', '1.0.0', '0.7'),
    'bp/old/bin/detect': script(DUMP),
  })
  const chunks: string[] = []
  const pass = await runDetect(await readBuildpackDescriptor(join(root, 'bp/pass')), { ...ctx, onOutput: (c) => chunks.push(c) })
  t.equal(pass.code, 0)
  t.equal(pass.error, undefined)
  t.same(pass.plan, { provides: [{ name: 'x' }], requires: [{ name: 'x' }], or: [] })
  const out = pass.output
  t.equal(chunks.join(''), out)
  t.match(out, `CNB_BUILDPACK_DIR=${root}/bp/pass\n`)
  t.match(out, `CNB_PLATFORM_DIR=${root}/platform\n`)
  t.match(out, new RegExp(`CNB_BUILD_PLAN_PATH=${root}/tmp/plan\\.acme_pass\\.[^/]+/plan\\.toml\n`))
  t.match(out, 'CNB_BP_PLAN_PATH=<unset>')
  t.match(out, 'CNB_LAYERS_DIR=<unset>')
  t.match(out, 'CNB_TARGET_OS=linux\nCNB_TARGET_ARCH=amd64\nCNB_TARGET_ARCH_VARIANT=<unset>\nCNB_TARGET_DISTRO_NAME=ubuntu\nCNB_TARGET_DISTRO_VERSION=22.04\n')
  t.match(out, 'BP_GREETING=hello')
  t.match(out, 'SECRET_TOKEN=<unset>', 'the caller env does not leak')
  t.match(out, new RegExp(`ARGS=${root}/platform ${root}/tmp/plan\\.acme_pass\\.[^/]+/plan\\.toml`))
  t.match(out, `CWD=${root}/app`)
  t.same(await readdir(join(root, 'tmp')), [], 'plan dir removed')

  const fail = await runDetect(await readBuildpackDescriptor(join(root, 'bp/fail')), ctx)
  t.same(fail, { code: 100, output: 'nope\n' })
  const err = await runDetect(await readBuildpackDescriptor(join(root, 'bp/err')), ctx)
  t.same(err, { code: 3, output: '' })
  const bad = await runDetect(await readBuildpackDescriptor(join(root, 'bp/badplan')), ctx)
  t.equal(bad.code, 0)
  t.match(bad.error, /build plan: top-level version is not allowed.*requires\[0\]\.version/)
  const nobin = await runDetect(await readBuildpackDescriptor(join(root, 'bp/nobin')), ctx)
  t.equal(nobin.code, -1)
  t.match(nobin.error, /acme\/nobin: cannot run bin\/detect/)
  const ac = new AbortController()
  ac.abort()
  await t.rejects(runDetect(await readBuildpackDescriptor(join(root, 'bp/fail')), { ...ctx, signal: ac.signal }), { name: 'AbortError' })
  const old = await runDetect(await readBuildpackDescriptor(join(root, 'bp/old')), ctx)
  t.match(old.output, `CNB_BUILDPACK_DIR=${root}/bp/old\nCNB_PLATFORM_DIR=<unset>\nCNB_BUILD_PLAN_PATH=<unset>`, 'API 0.7: no CNB_* path vars')
  t.match(old.output, 'CNB_TARGET_OS=<unset>', 'API < 0.10: no CNB_TARGET_*')
})

t.test('runBuild: plan in, layers and toml files out, env flows to the next buildpack', async (t) => {
  const { root, ctx } = await world(t)
  const layersDir = join(root, 'layers')
  await writeTree(root, {
    'bp/node/buildpack.toml': bpToml('acme/node', '1.0.0', '0.10', 'sbom-formats = ["application/vnd.cyclonedx+json"]'),
    'bp/node/bin/build': script(`${DUMP}
echo "ARGS=$1 $2"
cat "$CNB_BP_PLAN_PATH" > "$1/seen-plan"
mkdir -p "$1/tools/bin" "$1/tools/env.build" "$1/scratch"
printf '#!/bin/sh\\necho tool-ran\\n' > "$1/tools/bin/mytool"; chmod +x "$1/tools/bin/mytool"
printf 'from-node' > "$1/tools/env.build/NODE_HOME"
printf '[types]\\nbuild = true\\ncache = true\\n[metadata]\\nv = "20"\\n' > "$1/tools.toml"
printf '{}' > "$1/tools.sbom.cdx.json"
printf '[metadata]\\n' > "$1/scratch.toml"
printf '[[processes]]\\ntype = "web"\\ncommand = ["node", "server.js"]\\ndefault = true\\n[[labels]]\\nkey = "k"\\nvalue = "v"\\n' > "$1/launch.toml"
printf '[[unmet]]\\nname = "npm"\\n' > "$1/build.toml"
printf '[metadata]\\nruns = 1\\n' > "$1/store.toml"
echo built > "$PWD/app-file"`),
    'bp/next/buildpack.toml': bpToml('acme/next', '1.0.0'),
    'bp/next/bin/build': script('mytool; echo "NODE_HOME=$NODE_HOME"'),
  })
  const node = await readBuildpackDescriptor(join(root, 'bp/node'))
  const plan = buildpackPlanFor([
    { providers: [{ id: 'acme/node', version: '1.0.0' }], requires: [{ name: 'node', metadata: { version: '20' } }, { name: 'npm' }] },
  ], 'acme/node')
  let out = ''
  const r = await runBuild(node, { ...ctx, layersDir, plan, onOutput: (c) => (out += c) })
  const bpDir = join(layersDir, 'acme_node')
  t.equal(r.layersDir, bpDir)
  t.match(out, `CNB_LAYERS_DIR=${bpDir}\n`)
  t.match(out, new RegExp(`CNB_BP_PLAN_PATH=${root}/tmp/plan\\.acme_node\\.[^/]+/plan\\.toml`))
  t.match(out, 'CNB_BUILD_PLAN_PATH=<unset>')
  t.match(out, `ARGS=${bpDir} ${root}/platform`)
  t.match(await readFile(join(bpDir, 'seen-plan'), 'utf8'), /\[\[entries\]\]\nname = "node"/)
  t.equal(await readFile(join(root, 'app/app-file'), 'utf8'), 'built\n')
  t.same(r.layers.map((l) => [l.name, l.hasDir]), [['scratch', false], ['tools', true]])
  t.same(r.ignored, ['scratch'])
  t.ok((await stat(join(bpDir, 'scratch.ignore'))).isDirectory())
  t.same(r.launch.processes.map((p) => [p.type, p.command, p.default, p.buildpackId]), [['web', ['node', 'server.js'], true, 'acme/node']])
  t.same(r.launch.labels, [{ key: 'k', value: 'v' }])
  t.same(r.unmet, ['npm'])
  t.same(r.store, { metadata: { runs: 1 } })
  t.same(r.layers[1]?.sbomFiles.map((s) => s.ext), ['cdx.json'])
  t.same(await readdir(join(root, 'tmp')), [])

  const env = ctx.env.clone()
  await accumulateBuildLayers(env, bpDir)
  let nextOut = ''
  await runBuild(await readBuildpackDescriptor(join(root, 'bp/next')), {
    ...ctx, env, layersDir, plan: { entries: [] }, onOutput: (c) => (nextOut += c),
  })
  t.equal(nextOut, 'tool-ran\nNODE_HOME=from-node\n')
})

t.test('runBuild failures name the buildpack', async (t) => {
  const { root, ctx } = await world(t)
  const layersDir = join(root, 'layers')
  await writeTree(root, {
    'bp/exit/buildpack.toml': bpToml('acme/exit', '1.0.0'),
    'bp/exit/bin/build': script('exit 7'),
    'bp/launch/buildpack.toml': bpToml('acme/launch', '1.0.0'),
    'bp/launch/bin/build': script('printf \'[[processes]]\\ntype = "a b"\\ncommand = ["x"]\\n\' > "$1/launch.toml"'),
    'bp/types/buildpack.toml': bpToml('acme/types', '1.0.0'),
    'bp/types/bin/build': script('printf \'launch = true\\n\' > "$1/l.toml"'),
    'bp/unmet/buildpack.toml': bpToml('acme/unmet', '1.0.0'),
    'bp/unmet/bin/build': script('printf \'[[unmet]]\\nname = "ghost"\\n\' > "$1/build.toml"'),
    'bp/sbom/buildpack.toml': bpToml('acme/sbom', '1.0.0'),
    'bp/sbom/bin/build': script('printf "{}" > "$1/launch.sbom.spdx.json"'),
    'bp/nobin/buildpack.toml': bpToml('acme/nobin', '1.0.0'),
    'bp/sbomext/buildpack.toml': bpToml('acme/sbomext', '1.0.0', '0.10', 'sbom-formats = ["application/spdx+json"]'),
    'bp/sbomext/bin/build': script('printf "{}" > "$1/x.sbom.weird.json"'),
  })
  const run = async (name: string) =>
    runBuild(await readBuildpackDescriptor(join(root, 'bp', name)), { ...ctx, layersDir, plan: { entries: [] } })
  const e = await run('exit').then(() => undefined, (x: unknown) => x)
  t.ok(e instanceof BuildpackError)
  t.match(e, { code: 'ERR_BUILDPACK_FAILED', buildpackId: 'acme/exit', stage: 'build', exitCode: 7 })
  const cases: [string, string, string | undefined][] = [
    ['launch', 'ERR_BUILDPACK_LAUNCH_TOML', 'processes[0].type'],
    ['types', 'ERR_BUILDPACK_LAYER_TOML', 'launch'],
    ['unmet', 'ERR_BUILDPACK_BUILD_TOML', 'unmet[0].name'],
    ['sbom', 'ERR_BUILDPACK_SBOM', undefined],
    ['sbomext', 'ERR_BUILDPACK_SBOM', undefined],
  ]
  for (const [name, code, key] of cases) {
    const err = await run(name).then(() => undefined, (x: unknown) => x)
    t.ok(err instanceof BuildpackFileError, name)
    t.match(err, { code, key, buildpackId: `acme/${name}`, message: new RegExp(`^buildpack acme/${name}: ${root}/layers/acme_${name}/`) }, name)
  }
  await t.rejects(run('nobin'), { code: 'ERR_BUILDPACK_FAILED', exitCode: -1, message: /cannot run bin\/build/ })
})

t.test('toContainer maps every path the process sees', async (t) => {
  const { root, ctx } = await world(t)
  await symlink(root, join(root, '..', `alias-${root.split('/').pop()}`))
  const alias = join(root, '..', `alias-${root.split('/').pop()}`)
  t.teardown(async () => (await import('node:fs/promises')).rm(alias, { force: true }))
  await writeTree(root, {
    'bp/m/buildpack.toml': bpToml('acme/m', '1.0.0'),
    'bp/m/bin/build': script(`${DUMP}\necho "ARGS=$*"\necho "CWD=$PWD"`),
  })
  let out = ''
  const map = (p: string): string => p.replace(root, alias)
  await runBuild(await readBuildpackDescriptor(join(root, 'bp/m')), {
    ...ctx, toContainer: map, layersDir: join(root, 'layers'), plan: { entries: [] }, onOutput: (c) => (out += c),
  })
  t.match(out, `CNB_BUILDPACK_DIR=${alias}/bp/m\n`)
  t.match(out, `CNB_LAYERS_DIR=${alias}/layers/acme_m\n`)
  t.match(out, `CNB_PLATFORM_DIR=${alias}/platform\n`)
  t.match(out, new RegExp(`ARGS=${alias}/layers/acme_m ${alias}/platform ${alias}/tmp/plan`))
  t.match(out, /CWD=\S+\/app\n/, "cwd is the app dir (bash reports the physical path)")
  t.ok(new Env().clone())
})

t.test('end to end: find, detect with real bin/detect, build in group order', async (t) => {
  const { root, ctx } = await world(t)
  const layersDir = join(root, 'layers')
  await writeTree(root, {
    'bps/node/buildpack.toml': bpToml('acme/node', '1.0.0'),
    'bps/node/bin/detect': script('printf \'[[provides]]\\nname = "node"\\n[[requires]]\\nname = "node"\\n[requires.metadata]\\nv = "20"\\n\' > "$2"'),
    'bps/node/bin/build': script('cat "$3"; mkdir -p "$1/rt/bin"; printf \'#!/bin/sh\\necho node-ok\\n\' > "$1/rt/bin/fake-node"; chmod +x "$1/rt/bin/fake-node"; printf \'[types]\\nbuild = true\\nlaunch = true\\n\' > "$1/rt.toml"'),
    'bps/app/buildpack.toml': bpToml('acme/app', '1.0.0'),
    'bps/app/bin/detect': script('test -f package.json || exit 100; printf \'[[requires]]\\nname = "node"\\n\' > "$2"'),
    'bps/app/bin/build': script('echo "plan:"; cat "$3"; fake-node'),
    'bps/never/buildpack.toml': bpToml('acme/never', '1.0.0'),
    'bps/never/bin/detect': script('exit 100'),
    'bps/stack/buildpack.toml': bpToml('acme/stack', '1.0.0', '0.10', '[[order]]\n[[order.group]]\nid = "acme/node"\n[[order.group]]\nid = "acme/app"\n[[order.group]]\nid = "acme/never"\noptional = true'),
    'app/package.json': '{}',
  })
  const store = await findBuildpacks(join(root, 'bps'))
  const r = await detect([{ group: [{ id: 'acme/stack' }] }], (id, v) => store.lookup(id, v), (bp) => runDetect(bp, ctx))
  if (!r.ok) throw new Error('detect failed')
  t.same(r.group.map((g) => g.id), ['acme/node', 'acme/app'])
  t.same(r.plan, [{
    providers: [{ id: 'acme/node', version: '1.0.0' }],
    requires: [{ name: 'node', metadata: { v: '20' } }, { name: 'node' }],
  }])
  let entries = r.plan
  const env = ctx.env.clone()
  let out = ''
  for (const g of r.group) {
    const bp = store.lookup(g.id, g.version)
    const plan = buildpackPlanFor(entries, bp.id)
    const res = await runBuild(bp, { ...ctx, env, layersDir, plan, onOutput: (c) => (out += c) })
    entries = removeMetEntries(entries, plan, res.unmet)
    await accumulateBuildLayers(env, res.layersDir)
  }
  t.match(out, /\[\[entries\]\]\nname = "node"\n\n {2}\[entries.metadata\]\n {2}v = "20"/)
  t.match(out, /plan:\nentries = \[ ?\]\nnode-ok\n$/, 'app gets an empty plan (it provided nothing) and sees node on PATH')
  t.same(entries, [])
})
