// The Node.js builder end to end on a real loopback registry: `npm run builder` publishes stack and builder, `lading build --builder` builds yarn, npm and bare apps that answer HTTP under podman, and bad input fails with exit 51, a named cause and nothing published.
import { createServer, type Server } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { cleanEnv, runBin } from '../helpers/cli.js'
import { httpAnswer, nodeBuilderSuite, sample as sampleOf } from '../helpers/node-builder.js'

const suite = nodeBuilderSuite(t, 'lading-bp-cache-')
const { build } = suite

function sample(name: string, edit?: (dir: string) => void): string {
  return sampleOf(t, name, edit)
}

t.test('npm run builder publishes a labelled stack and the builder', async (t) => {
  const run = await runBin(['config', suite.made.run], cleanEnv())
  const cfg = JSON.parse(run.stdout) as { os: string; architecture: string; config: { User: string; Labels: Record<string, string> } }
  t.equal(cfg.config.User, '1000:1000')
  t.match(cfg.config.Labels, { 'io.buildpacks.base.distro.name': 'debian', 'io.buildpacks.base.distro.version': '12', 'io.buildpacks.stack.id': 'io.lading.stacks.bookworm', 'io.buildpacks.base.id': 'io.lading.stacks.bookworm' })
  t.equal(cfg.os, 'linux')
  const b = JSON.parse((await runBin(['config', suite.made.build], cleanEnv())).stdout) as { config: { Env: string[] } }
  t.ok(b.config.Env.includes('CNB_USER_ID=1000') && b.config.Env.includes('CNB_GROUP_ID=1000'))
  t.ok(suite.made.buildEnv.NPM_CONFIG_REGISTRY, 'the machine\'s npm registry travels in the builder')
})

t.test('express + yarn: builds, answers HTTP, SBOM names Node, rebuild uploads nothing', async (t) => {
  const dir = sample('express-yarn')
  const image = `${suite.reg.host}/apps/express:1`
  const first = await build(image, dir, '--json')
  t.equal(first.code, 0, first.stderr)
  t.match(first.stderr, /yarn install --frozen-lockfile/)
  t.match(await httpAnswer(image), /Hello from lading \(express, Node.js v22\./)
  const bom = JSON.parse((await runBin(['inspect', image, '--bom', '--json'], cleanEnv())).stdout) as { sbom: Array<{ content: { components: Array<{ name: string; version: string; licenses: unknown; externalReferences: Array<{ url: string }> }> } }> }
  const node = bom.sbom.flatMap((s) => s.content?.components ?? []).find((c) => c.name === 'node')
  t.match(node, { version: /^22\./, licenses: [{ license: { id: 'MIT' } }], externalReferences: [{ url: /node-linux-(x64|arm64)-22\..*\.tgz$/ }] })
  const again = await build(image, dir, '--json')
  t.equal(again.code, 0, again.stderr)
  const out = JSON.parse(again.stdout) as { digest: string; transfer: { bytesUploaded: number }; reused: string[] }
  t.equal(out.digest, (JSON.parse(first.stdout) as { digest: string }).digest, 'same inputs, same digest')
  t.equal(out.transfer.bytesUploaded, 0)
  t.ok(out.reused.includes('lading/yarn-install/node_modules'))
  t.match(again.stderr, /reusing node_modules/)
  t.match(again.stderr, /reusing the node layer/)
})

t.test('package-lock.json app: npm ci, answers HTTP with its dependency', async (t) => {
  const image = `${suite.reg.host}/apps/npm:1`
  const r = await build(image, sample('npm-ms'), '--env', 'BP_NODE_VERSION=22.x')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stderr, /npm ci/)
  t.match(await httpAnswer(image), /npm sample up 1 minute/)
})

t.test('a bare server.js (no package.json) builds on the default Node.js (the current LTS) and answers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lading-app-bare-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'server.js'), 'require("http").createServer((q, s) => s.end("bare " + process.version + "\\n")).listen(8080)\n')
  const image = `${suite.reg.host}/apps/bare:1`
  const r = await build(image, dir)
  t.equal(r.code, 0, r.stderr)
  // Node.js 24 and newer link libatomic1: the run image must carry it for the default to start at all.
  const answer = await httpAnswer(image)
  t.match(answer, /^bare v\d+\./)
  t.ok(Number(/^bare v(\d+)/.exec(answer)?.[1]) >= 24, `the current LTS (${answer.trim()}) runs on the run image`)
})

/** True when the registry has no such tag. */
async function published(image: string): Promise<boolean> {
  return (await runBin(['digest', image], cleanEnv())).code === 0
}

t.test('bad input: exit 51, the cause named, nothing published', async (t) => {
  t.test('engines.node that no release matches', async (t) => {
    const image = `${suite.reg.host}/bad/engines:1`
    const r = await build(image, sample('express-yarn', (d) => writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'x', engines: { node: '^99' }, dependencies: { express: '^4.21.2' } }))))
    t.equal(r.code, 51)
    t.match(r.stderr, /node-engine: ERROR: no Node.js release matches "\^99" \(from package.json engines.node\)/)
    t.notOk(await published(image), 'nothing published')
  })
  t.test('lockfile out of sync with package.json', async (t) => {
    const image = `${suite.reg.host}/bad/sync:1`
    const r = await build(image, sample('express-yarn', (d) => writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'x', engines: { node: '22.x' }, dependencies: { express: '^4.21.2', ms: '^2.1.3' } }))))
    t.equal(r.code, 51)
    t.match(r.stderr, /yarn-install: ERROR: yarn.lock is out of sync with package.json/)
    t.notOk(await published(image), 'nothing published')
  })
  t.test('a failed install', async (t) => {
    const image = `${suite.reg.host}/bad/install:1`
    const r = await build(image, sample('express-yarn', (d) => writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'x', engines: { node: '22.x' }, scripts: { postinstall: 'echo boom >&2; exit 3' }, dependencies: { express: '^4.21.2' } }))))
    t.equal(r.code, 51)
    t.match(r.stderr, /yarn-install: ERROR: yarn install --frozen-lockfile .* failed \(exit 3\):[\s\S]*boom/)
    t.notOk(await published(image), 'nothing published')
  })
  t.test('a download that fails its integrity check', async (t) => {
    // A registry that serves node-linux-* with a tarball whose bytes do not match the integrity it claims.
    const server: Server = createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
      const m = /^\/(node-linux-[a-z0-9]+)$/.exec(req.url ?? '')
      if (m) {
        const v = '22.99.0'
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ name: m[1], versions: { [v]: { version: v, license: 'MIT', dist: { tarball: `${base}${m[1]}/-/${m[1]}-${v}.tgz`, integrity: `sha512-${Buffer.alloc(64, 1).toString('base64')}` } } } }))
      } else if (req.url?.endsWith('.tgz')) res.end('not the promised bytes')
      else { res.statusCode = 404; res.end() }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    t.teardown(() => server.close())
    const image = `${suite.reg.host}/bad/integrity:1`
    const port = (server.address() as { port: number }).port
    const r = await build(image, sample('express-yarn'), '--env', `NPM_CONFIG_REGISTRY=http://127.0.0.1:${port}/`, '--clear-cache')
    t.equal(r.code, 51)
    t.match(r.stderr, /node-engine: ERROR: integrity check failed for http:\/\/127\.0\.0\.1:\d+\/node-linux-\w+\/-\/node-linux-\w+-22\.99\.0\.tgz: expected sha512-/)
    t.notOk(await published(image), 'nothing published')
  })
})
