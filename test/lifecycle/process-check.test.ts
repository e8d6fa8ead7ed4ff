import t from 'tap'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tar from 'tar-stream'
import { readBuildpackDescriptor, type BuildpackDescriptor, type LayerInfo, type ProcessDef } from '../../lib/buildpack/index.js'
import { digestHex } from '../../lib/digest/index.js'
import { appendLayers, emptyImage, layerFromBytes, withConfig, type Image } from '../../lib/image/index.js'
import { layerFromEntries } from '../../lib/layer/index.js'
import type { Built } from '../../lib/lifecycle/build-phase.js'
import { PhaseError } from '../../lib/lifecycle/errors.js'
import { checkDefaultProcess } from '../../lib/lifecycle/process-check.js'
import { prepareBuildDirs, type BuildDirs } from '../../lib/lifecycle/workspace.js'
import { SAMPLES } from '../../registry-fixtures/index.js'

let work: string
let bp: BuildpackDescriptor
let dirs: BuildDirs
let run: Image
let layers: LayerInfo[]
t.before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lading-pcheck-'))
  bp = await readBuildpackDescriptor(SAMPLES.buildpack('base'))
  dirs = await prepareBuildDirs(join(work, 'b'))
  await mkdir(join(dirs.workspace, 'sub'), { recursive: true })
  await writeFile(join(dirs.workspace, 'run.sh'), '#!/bin/sh\n')
  const bpDir = join(dirs.layers, 'lading-test_base')
  for (const l of ['tools', 'build-tools']) {
    await mkdir(join(bpDir, l, 'bin'), { recursive: true })
    await writeFile(join(bpDir, l, 'bin', `${l}-cmd`), '')
  }
  const info = (name: string, launch: boolean): LayerInfo => ({ name, dir: join(bpDir, name), tomlPath: '', types: { launch, build: !launch, cache: false }, metadata: {}, hasDir: true, sbomFiles: [] })
  layers = [info('tools', true), info('build-tools', false)]
  // A run image whose second layer was written by a tool that prefixes names with ./
  const l1 = await layerFromEntries([{ path: '/bin/sh', type: 'file', mode: 0o755 }, { path: '/usr/local/bin/node', type: 'file' }], { storeDir: join(work, 'store') })
  const pack = tar.pack()
  pack.entry({ name: './opt/', type: 'directory' })
  pack.entry({ name: './opt/dotted', type: 'file' }, '')
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const c of pack) chunks.push(c as Buffer)
  run = withConfig(appendLayers(emptyImage({ os: 'linux', architecture: 'amd64' }), { layer: l1 }, { layer: layerFromBytes(Buffer.concat(chunks)) }),
    (c) => ({ ...c, config: { Env: ['PATH=/opt:/bin'] } }))
})
t.teardown(() => rm(work, { recursive: true, force: true }))

const proc = (command: string[], extra: Partial<ProcessDef> = {}): ProcessDef => ({ type: 'web', command, args: [], direct: true, default: true, buildpackId: bp.id, buildpackApi: bp.api, ...extra })
const built = (p: ProcessDef[]): Built => ({
  outcomes: [{ bp, outcome: { layersDir: join(dirs.layers, 'lading-test_base'), layers, launch: { processes: p, labels: [], slices: [] }, unmet: [], store: undefined, sbom: { launch: [], build: [] }, ignored: [] } }],
  processes: p, labels: [], slices: [], warnings: [],
})
let idx = 0
const check = (command: string[], extra: Partial<ProcessDef> = {}, image = run) => checkDefaultProcess(built([proc(command, extra)]), 'web', dirs, image, join(work, `index${idx++}`))

t.test('commands that exist pass', async (t) => {
  await check(['/workspace/run.sh'])
  await check(['./run.sh'])
  await check(['../run.sh'], { workingDir: '/workspace/sub' })
  await check(['tools-cmd'], {}, run)
  await check(['/layers/lading-test_base/tools/bin/tools-cmd'])
  await check(['sh', '-c', 'x'])
  await check(['dotted'], {}, run)
  await check(['/bin/sh'])
  await check(['/opt/dotted'])
  t.pass('no error')
})

t.test('missing commands are exit 64 naming the process, its buildpack and the command', async (t) => {
  const want = { constructor: PhaseError, phase: 'export', exitCode: 64, message: /"web" of buildpack lading-test\/base runs "nope"/ }
  await t.rejects(check(['nope']), want)
  await t.rejects(check(['build-tools-cmd']), { code: 'ERR_PHASE_EXPORT', exitCode: 64 }, 'a build-only layer\'s bin is not in the image')
  await t.rejects(check(['node']), { code: 'ERR_PHASE_EXPORT', exitCode: 64 }, '/usr/local/bin is not on the run image PATH')
  await t.rejects(check(['./missing.sh']), { code: 'ERR_PHASE_EXPORT', exitCode: 64 })
  await t.rejects(check(['sub']), { code: 'ERR_PHASE_EXPORT', exitCode: 64 }, 'a bare name is not looked up in the app')
})

t.test('no PATH in the run image: the standard one', async (t) => {
  const noEnv = withConfig(run, (c) => ({ ...c, config: {} }))
  await check(['node'], {}, noEnv)
  await t.rejects(check(['dotted'], {}, noEnv), { code: 'ERR_PHASE_EXPORT', exitCode: 64 })
})

t.test('no default process, another type, or an empty command: nothing to check', async (t) => {
  await checkDefaultProcess(built([proc(['nope'])]), undefined, dirs, run, join(work, 'i-none'))
  await checkDefaultProcess(built([proc(['nope'])]), 'worker', dirs, run, join(work, 'i-none'))
  await checkDefaultProcess(built([proc([])]), 'web', dirs, run, join(work, 'i-none'))
  t.same(await readdir(work).then((d) => d.includes('i-none')), false, 'the run image was not even read')
})

t.test('the run image file list is kept by manifest digest and reused', async (t) => {
  const indexDir = join(work, 'kept')
  await checkDefaultProcess(built([proc(['sh'])]), 'web', dirs, run, indexDir)
  const file = join(indexDir, `${digestHex(await run.digest())}.json`)
  t.same(JSON.parse(await readFile(file, 'utf8')).sort(), ['bin', 'bin/sh', 'opt', 'opt/dotted', 'usr', 'usr/local', 'usr/local/bin', 'usr/local/bin/node'])
  await writeFile(file, JSON.stringify(['opt/only-in-index']))
  await checkDefaultProcess(built([proc(['only-in-index'])]), 'web', dirs, run, indexDir)
  t.pass('answered from the kept list')
})

t.test('shell processes (direct=false): the first word of the command line', async (t) => {
  const shell = (line: string) => check([line], { direct: false, buildpackApi: '0.8' })
  await shell('echo shell-ran')
  await shell('exec tools-cmd --port 80')
  await shell('FOO=1 nope-xyz')
  await shell('$HOME/bin/nope-xyz')
  await shell('cd sub && ./nope.sh')
  await shell('"quoted" arg')
  await shell('sh -c x')
  await t.rejects(shell('nope-xyz --port 80'), { code: 'ERR_PHASE_EXPORT', message: /runs "nope-xyz"/ }, 'a plain word is looked up')
})

t.test('never rejects what may work at launch: profiles (shell), exec.d, env files that set PATH', async (t) => {
  const layerDir = layers[0]!.dir
  await mkdir(join(layerDir, 'env.launch'), { recursive: true })
  await writeFile(join(layerDir, 'env.launch', 'PATH.prepend'), '/layers/lading-test_base/tools/libexec')
  await mkdir(join(layerDir, 'libexec'), { recursive: true })
  await writeFile(join(layerDir, 'libexec', 'from-env-path'), '')
  await check(['from-env-path'])
  await t.rejects(check(['still-nope']), { code: 'ERR_PHASE_EXPORT' })
  await writeFile(join(dirs.workspace, '.profile'), 'export PATH=$PATH:/somewhere\n')
  await check(['still-nope'], { direct: false, buildpackApi: '0.8' })
  await t.rejects(check(['still-nope']), { code: 'ERR_PHASE_EXPORT' }, 'profiles do not run for direct processes')
  await rm(join(dirs.workspace, '.profile'))
  await mkdir(join(layerDir, 'exec.d'))
  await check(['still-nope'])
  await rm(join(layerDir, 'exec.d'), { recursive: true })
  await rm(join(layerDir, 'env.launch'), { recursive: true })
})
