// Apps written by other projects (Paketo's, Heroku's and Google Cloud's own samples, in buildpacks/samples with their origin) and a native-addon app of ours built with the Node.js builder as a new user would, run under podman and asked over HTTP; plus the build step: BP_NODE_RUN_SCRIPTS, scripts.build with devDependencies, production-only node_modules at launch, and a failing build script.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cleanEnv, runBin } from '../helpers/cli.js'
import { httpAnswer, inImage, nodeBuilderSuite, sample } from '../helpers/node-builder.js'

const suite = nodeBuilderSuite(t, 'lading-real-apps-cache-')
const { build } = suite

async function published(image: string): Promise<boolean> {
  return (await runBin(['digest', image], cleanEnv())).code === 0
}

/** Which of these packages the launch image's node_modules resolves from the app directory. */
const RESOLVES = (names: string[]): string => `process.stdout.write(JSON.stringify(${JSON.stringify(names)}.filter((n)=>{try{require.resolve(n);return true}catch{return false}})))`

t.test('Paketo nodejs/npm: package-lock.json, a shell start script, answers on PORT', async (t) => {
  const image = `${suite.reg.host}/real/paketo-npm:1`
  const r = await build(image, sample(t, 'paketo-npm'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /npm ci/)
  t.notMatch(r.stderr, /running npm run/, 'no build script, no build step')
  t.match(await httpAnswer(image, '/', 5000), /Powered By Paketo Buildpacks/)
  t.equal(await httpAnswer(image, '/actuator/health'), '{"status":"UP"}')
})

t.test('Paketo node-run-script simple_npm_app: BP_NODE_RUN_SCRIPTS runs in order, with no dependencies at all', async (t) => {
  const image = `${suite.reg.host}/real/run-scripts:1`
  const r = await build(image, sample(t, 'paketo-run-scripts'), '--env', 'BP_NODE_RUN_SCRIPTS=test_script_1,test_script_2')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /running npm run test_script_1 \(BP_NODE_RUN_SCRIPTS\)[\s\S]*some commands[\s\S]*running npm run test_script_2/)
  t.equal(await inImage(image, 'process.stdout.write(String(require("fs").existsSync("dummyfile.txt")))'), 'true', 'the script\'s file is in the app layer')
  t.equal(await httpAnswer(image), 'Hello, World!')
  const typo = `${suite.reg.host}/real/run-scripts-typo:1`
  const bad = await build(typo, sample(t, 'paketo-run-scripts'), '--env', 'BP_NODE_RUN_SCRIPTS=test_script_1,test_script_3')
  t.equal(bad.code, 51)
  t.match(bad.stderr, /npm-install: ERROR: BP_NODE_RUN_SCRIPTS names "test_script_3", which package.json's scripts lack \(it has: test_script_1, test_script_2\)/)
  t.notOk(await published(typo), 'nothing published')
})

t.test('Heroku yarn-1-typescript: tsc runs with devDependencies, node_modules at launch is production-only, rebuild reuses both', async (t) => {
  const image = `${suite.reg.host}/real/yarn-ts:1`
  const dir = sample(t, 'heroku-yarn-1-typescript')
  const first = await build(image, dir, '--json')
  t.equal(first.code, 0, first.stderr)
  t.match(first.stderr, /yarn install --frozen-lockfile --non-interactive --no-progress --production=false[\s\S]*running yarn run build \(package.json scripts.build\)[\s\S]*\$ tsc[\s\S]*yarn install --frozen-lockfile --non-interactive --no-progress --production\n/)
  t.equal(await httpAnswer(image), 'Hello from yarn-1-typescript')
  t.equal(await inImage(image, RESOLVES(['express', 'typescript', '@types/express'])), '["express"]', 'devDependencies stay out of the image')
  const again = await build(image, dir, '--json')
  t.equal(again.code, 0, again.stderr)
  t.match(again.stderr, /reusing build-modules[\s\S]*running yarn run build[\s\S]*reusing node_modules/)
  const out = JSON.parse(again.stdout) as { digest: string; transfer: { bytesUploaded: number }; reused: string[] }
  t.equal(out.digest, (JSON.parse(first.stdout) as { digest: string }).digest, 'tsc output is the same, so is the image')
  t.equal(out.transfer.bytesUploaded, 0)
  t.ok(out.reused.includes('lading/yarn-install/node_modules'))
})

t.test('a failing build script: exit 51, the script named with its output, nothing published', async (t) => {
  const image = `${suite.reg.host}/real/yarn-ts-broken:1`
  const dir = sample(t, 'heroku-yarn-1-typescript', (d) => writeFileSync(join(d, 'server.ts'), `${readFileSync(join(d, 'server.ts'), 'utf8')}\nconst n: number = 'not a number'\n`))
  const r = await build(image, dir)
  t.equal(r.code, 51)
  t.match(r.stderr, /yarn-install: ERROR: the app's "build" script failed \(yarn run build, exit 2\):[\s\S]*error TS2322/)
  t.notOk(await published(image), 'nothing published')
})

t.test('Heroku yarn-4-pnp-nonzero: Yarn 4 from packageManager, nodeLinker pnp installed as node_modules, production dependencies only, answers', async (t) => {
  const image = `${suite.reg.host}/real/yarn4:1`
  const r = await build(image, sample(t, 'heroku-yarn-4-pnp'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /@yarnpkg\/cli-dist 4\.0\.0 \(4\.0\.0 from packageManager\)/)
  t.match(r.stderr, /nodeLinker: pnp; installing with nodeLinker: node-modules/)
  t.match(r.stderr, /yarn workspaces focus --all --production/)
  t.equal(await httpAnswer(image), 'Hello from yarn-4-pnp-nonzero')
  t.equal(await inImage(image, RESOLVES(['express', 'dotenv'])), '["express"]', 'no build step: the devDependency dotenv stays out all the same')
})

t.test('a Yarn 3 project from before Corepack (yarnPath, no packageManager): Yarn 3.6.4 from the npm registry, its lockfile taken as it is, answers', async (t) => {
  const image = `${suite.reg.host}/real/yarn3:1`
  const r = await build(image, sample(t, 'yarn-3-yarnpath'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /@yarnpkg\/cli-dist 3\.6\.4 \(3\.6\.4 from \.yarnrc\.yml yarnPath \.yarn\/releases\/yarn-3\.6\.4\.cjs\)/)
  t.match(r.stderr, /downloading @yarnpkg\/plugin-workspace-tools 3\.[\d.]+ for `yarn workspaces focus` \(Yarn 3\.6\.4\)[\s\S]*yarn workspaces focus --all --production/)
  t.equal(await httpAnswer(image), 'Hello from yarn-3-yarnpath (ms: 1m)')
})

// Yarn 2's focus command needs tslib, which the plugin file carries. Yarn 3's plugin was made by
// the yarnPath test above, and comes here with the Yarn 3 layer it reuses: no download to see.
const PLUGIN_DOWNLOAD = { 3: undefined, 2: /downloading @yarnpkg\/plugin-workspace-tools 2\.[\d.]+ for `yarn workspaces focus` \(Yarn 2\.4\.2\)[\s\S]*downloading tslib 1\.[\d.]+/ }
for (const major of [3, 2] as const) {
  t.test(`Yarn ${major} with a build script: every dependency for the build, then \`workspaces focus --production\` through the plugin made from the npm registry; rebuild reuses both`, async (t) => {
    const image = `${suite.reg.host}/real/yarn${major}-build:1`
    const r = await build(image, sample(t, `yarn-${major}-build`))
    t.equal(r.code, 0, r.stderr)
    const download = PLUGIN_DOWNLOAD[major]
    if (download) t.match(r.stderr, download)
    t.match(r.stderr, /yarn install --immutable[\s\S]*running yarn run build[\s\S]*yarn workspaces focus --all --production/)
    t.equal(await httpAnswer(image), `Hello from yarn-${major}-build (built with dotenv; ms: 1m)`)
    t.equal(await inImage(image, RESOLVES(['ms', 'dotenv'])), '["ms"]', 'the devDependency dotenv stays out of the image')
    const again = await build(image, sample(t, `yarn-${major}-build`))
    t.equal(again.code, 0, again.stderr)
    t.match(again.stderr, /reusing build-modules[\s\S]*reusing node_modules/)
    t.notMatch(again.stderr, /downloading (@yarnpkg\/plugin-workspace-tools|tslib)/, 'the plugin is kept with the yarn layer')
  })
}

for (const [tool, drop] of [['npm', 'pnpm-lock.yaml'], ['pnpm', 'package-lock.json']] as const) {
  t.test(`husky's "prepare": "husky install" under ${tool}: every dependency for the install's prepare, then devDependencies pruned; answers without husky`, async (t) => {
    const image = `${suite.reg.host}/real/husky-${tool}:1`
    const r = await build(image, sample(t, 'npm-husky-prepare', (d) => rmSync(join(d, drop))))
    t.equal(r.code, 0, r.stderr)
    t.match(r.stderr, new RegExp(`prepare script \\(husky install\\), which ${tool} runs on install`))
    t.match(r.stderr, new RegExp(`${tool} prune`))
    t.equal(await httpAnswer(image), 'Hello from npm-husky-prepare (ms: 1m, husky at run time: absent)')
  })
}

t.test('a dependency from a git repository: npm clones it with the build image\'s git; answers', async (t) => {
  const image = `${suite.reg.host}/real/git-dep:1`
  const dir = sample(t, 'npm-git-dependency', (d) => {
    const src = join(d, 'greeting-src')
    mkdirSync(src)
    writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'greeting', version: '1.0.0', main: 'index.js' }))
    writeFileSync(join(src, 'index.js'), "module.exports = (who) => `Hello from ${who} (greeting from git)`\n")
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: src, stdio: 'ignore' })
    git('init', '-q')
    git('add', '.')
    git('commit', '-qm', 'greeting 1.0.0')
    git('tag', 'v1.0.0')
    mkdirSync(join(d, 'vendor'))
    execFileSync('git', ['clone', '-q', '--bare', src, join(d, 'vendor', 'greeting.git')])
    rmSync(src, { recursive: true })
  })
  const r = await build(image, dir)
  t.equal(r.code, 0, r.stderr)
  t.equal(await httpAnswer(image), 'Hello from npm-git-dependency (greeting from git)')
})

t.test('Yarn 4 with a build script: all dependencies for the build, `workspaces focus --production` for launch, rebuild finds the install state', async (t) => {
  const image = `${suite.reg.host}/real/yarn4-build:1`
  const dir = sample(t, 'heroku-yarn-4-pnp', (d) => {
    const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    // The build needs the devDependency dotenv; the app at run time must not have it.
    pkg.scripts.build = 'node -e "require(\'dotenv\'); require(\'fs\').writeFileSync(\'built.txt\', \'built\')"'
    writeFileSync(join(d, 'package.json'), JSON.stringify(pkg, null, 2))
  })
  const r = await build(image, dir)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /yarn install --immutable[\s\S]*running yarn run build[\s\S]*yarn workspaces focus --all --production/)
  t.equal(await inImage(image, `${RESOLVES(['express', 'dotenv'])};process.stdout.write(require("fs").readFileSync("built.txt","utf8"))`), '["express"]built')
  const again = await build(image, dir)
  t.equal(again.code, 0, again.stderr)
  t.match(again.stderr, /reusing build-modules[\s\S]*running yarn run build[\s\S]*reusing node_modules/)
})

t.test('Google Cloud typescript: `build: tsc -p .` with no start script; the server.js tsc writes is the web process', async (t) => {
  const image = `${suite.reg.host}/real/gcp-ts:1`
  const r = await build(image, sample(t, 'gcp-typescript'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /npm ci --include=dev[\s\S]*running npm run build[\s\S]*npm ci --omit=dev[\s\S]*\[node-start\] web: node server\.js/)
  // The app answers PASS only under NODE_ENV=production, node-engine's default.
  t.equal(await httpAnswer(image), 'PASS')
  t.equal(await inImage(image, RESOLVES(['polka', 'typescript'])), '["polka"]')
})

t.test('Google Cloud local_dependency_npm: a file: dependency npm links, still found at run time', async (t) => {
  const image = `${suite.reg.host}/real/gcp-file-dep:1`
  const r = await build(image, sample(t, 'gcp-local-dependency-npm'))
  t.equal(r.code, 0, r.stderr)
  t.equal(await httpAnswer(image), 'PASS')
})

t.test('Google Cloud node_modules_bin_npm: `start: http-server -p $PORT` finds the package\'s command', async (t) => {
  const image = `${suite.reg.host}/real/gcp-bin:1`
  const r = await build(image, sample(t, 'gcp-node-modules-bin-npm'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /\[node-start\] web: \/bin\/sh -c PATH="\$PATH:\$PWD\/node_modules\/.bin"; exec http-server -p \$PORT/)
  t.equal(await httpAnswer(image, '/index.txt', 8081), 'PASS\n')
  // The run image has no /usr/bin/env for http-server's `#!/usr/bin/env node`: a shim runs it with node.
  t.equal(await inImage(image, 'process.stdout.write(require("fs").readFileSync("/layers/lading_npm-install/node_modules-bin/bin/http-server","utf8"))'), '#!/bin/sh\nexec node "/layers/lading_npm-install/node_modules/http-server/bin/http-server" "$@"\n')
  const again = await build(image, sample(t, 'gcp-node-modules-bin-npm'))
  t.equal(again.code, 0, again.stderr)
  t.match(again.stderr, /reusing node_modules/)
  t.equal(await httpAnswer(image, '/index.txt', 8081), 'PASS\n', 'the shims are kept with the reused layer')
})

t.test('Google Cloud dev_dependency_npm: its only package is a devDependency; NODE_ENV=development installs it, and is part of the reuse key', async (t) => {
  const image = `${suite.reg.host}/real/gcp-dev-dep:1`
  const dir = sample(t, 'gcp-dev-dependency-npm')
  const prod = await build(image, dir)
  t.equal(prod.code, 0, prod.stderr)
  t.equal(await inImage(image, RESOLVES(['polka'])), '[]', 'production leaves devDependencies out')
  const dev = await build(image, dir, '--env', 'NODE_ENV=development')
  t.equal(dev.code, 0, dev.stderr)
  t.notMatch(dev.stderr, /reusing node_modules/, 'the production layer is not reused for a development install')
  t.equal(await httpAnswer(image), 'PASS')
})

t.test('Heroku pnpm-7-pnp: pnpm 7 from packageManager, node-linker=pnp installed as isolated, answers', async (t) => {
  const image = `${suite.reg.host}/real/pnpm7:1`
  const r = await build(image, sample(t, 'heroku-pnpm-7-pnp'))
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /lading\/pnpm-install@0\.1\.0\s+pass/)
  t.match(r.stderr, /pnpm 7\.32\.3 \(7\.32\.3 from packageManager\)[\s\S]*node-linker=isolated[\s\S]*pnpm install --frozen-lockfile/)
  t.equal(await httpAnswer(image), 'Hello from pnpm-7-pnp')
})

t.test('a native addon with no prebuilt binary: node-gyp compiles it against node-engine\'s headers (nothing from nodejs.org); Heroku\'s `web: npm start` Procfile runs a #!/bin/bash start script', async (t) => {
  const image = `${suite.reg.host}/real/native-addon:1`
  const r = await build(image, sample(t, 'native-addon-npm'))
  t.equal(r.code, 0, r.stderr)
  t.notMatch(r.stderr, /nodejs\.org|gyp ERR!/, 'node-gyp used the local headers')
  t.notMatch(r.stderr, /MaxListenersExceededWarning/, 'publishing 11 layers leaks no listener warning')
  t.match(r.stderr, /\[node-start\] web: \/bin\/sh -c PATH="\$PATH:\$PWD\/node_modules\/.bin"; exec \.\/start\.sh \(default\) \(Procfile\)/, 'npm start is the start script')
  t.match(await httpAnswer(image), /^native addon: compiled by node-gyp \(Node\.js v\d+\.\d+\.\d+\)$/m, 'the bash script started the server, and the addon loaded')
  const headers = await inImage(image, 'process.stdout.write(String(require("fs").existsSync("/layers/lading_node-engine/node-headers")))')
  t.equal(headers, 'false', 'the headers are a build-only layer, not in the app image')
})
