/**
 * Benchmark: turn a directory of N MiB of mixed files (compressible text, random bytes, many
 * small files and a few large ones) into a gzip layer, against `tar -cf - | pigz -6 > file`
 * (pigz: gzip on every core, the peer for parallel layer compression). Both sides are whole
 * processes, run in turn, on the same tree. Two rows:
 * - `layer-create`: lading's layer code alone (layerFromDirectory, bundled beforehand, untimed,
 *   into one script run by plain node): walk, tar, parallel gzip -6, sha256 of the tar and of
 *   the gzip, one blob file written. The same job as tar | pigz, plus the two digests.
 * - `layer-append`: the CLI, `lading append scratch oci:DIR --layer SRC:/`, which also starts the
 *   whole CLI and writes an OCI image layout (the blob is copied into it, then config, manifest).
 * Work check: both sides compress the same tree to within 5% of the same size.
 * Usage: npx tsx benchmarks/layer-create.ts [--size-mb 256] [--runs 5]
 */
import { build } from 'esbuild'
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliOptions, compare, sameCounts, type BenchOptions, type BenchResult, type Side } from './lib/harness.js'
import { runAsScript } from './lib/main.js'
import { benchDir } from './lib/temp.js'

const LADING = fileURLToPath(new URL('../bin/lading', import.meta.url))
const LAYER_INDEX = fileURLToPath(new URL('../lib/layer/index.ts', import.meta.url))
const MiB = 1 << 20
/** Writes the benchmark tree and returns its total file bytes. */
export async function makeTree(dir: string, sizeMiB: number): Promise<number> {
  const words = ['layer', 'buildpack', 'registry', 'digest', 'manifest', 'node_modules', 'function', 'return', 'const', '{', '}', '\n']
  const text = Buffer.from(Array.from({ length: 200_000 }, () => words[Math.floor(Math.random() * words.length)]).join(' ')).subarray(0, MiB)
  let total = 0
  const write = async (p: string, mib: number, kind: 'text' | 'random'): Promise<void> => {
    const fh = await open(p, 'w')
    try {
      for (let i = 0; i < mib; i++) await fh.write(kind === 'text' ? text : randomBytes(MiB))
    } finally {
      await fh.close()
    }
    total += mib * MiB
  }
  // A few large files: 35% text, 35% random, in two files each.
  const big = Math.max(1, Math.floor(sizeMiB * 0.175))
  await mkdir(join(dir, 'big'))
  await write(join(dir, 'big/text-1.log'), big, 'text')
  await write(join(dir, 'big/text-2.log'), big, 'text')
  await write(join(dir, 'big/random-1.bin'), big, 'random')
  await write(join(dir, 'big/random-2.bin'), big, 'random')
  // Many small files (1-32 KiB, half text, half random) for the rest, 100 per directory.
  const smallBudget = Math.max(0, sizeMiB * MiB - total)
  let used = 0
  for (let i = 0; used < smallBudget; i++) {
    const d = join(dir, 'small', `d${Math.floor(i / 100)}`)
    if (i % 100 === 0) await mkdir(d, { recursive: true })
    const n = Math.min(1024 + Math.floor(Math.random() * 31 * 1024), smallBudget - used)
    const fh = await open(join(d, `f${i}.${i % 2 ? 'txt' : 'bin'}`), 'w')
    await fh.write(i % 2 ? text.subarray(0, n) : randomBytes(n))
    await fh.close()
    used += n
  }
  return total + used
}

/** The largest blob in a blob directory: the layer. */
async function largestBlob(dir: string): Promise<number> {
  let max = 0
  for (const f of await readdir(dir)) max = Math.max(max, (await stat(join(dir, f))).size)
  return max
}

/** Bundles a one-purpose script (make one layer from argv[2] into the store argv[3]) to `out`. */
async function bundleLayerMaker(out: string): Promise<void> {
  await build({
    stdin: {
      contents: `import { layerFromDirectory } from ${JSON.stringify(LAYER_INDEX)}
const [src, storeDir] = process.argv.slice(2)
layerFromDirectory(src, { target: '/', storeDir, mtime: new Date('1980-01-01T00:00:01Z') })
  .then((l) => process.stdout.write(l.digestValue + ' ' + l.sizeValue + '\\n'))`,
      resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out, logLevel: 'warning',
  })
}

/** The peer: tar of the tree piped into pigz -6, into one file under `out`. */
function pigzSide(src: string, out: string): Side {
  return {
    name: 'tar | pigz -6',
    async prepare() {
      await rm(out, { recursive: true, force: true })
      await mkdir(out)
      return { argv: ['bash', '-c', 'set -o pipefail; tar -C "$1" -cf - . | pigz -6 > "$2"', 'bench', src, join(out, 'layer.tar.gz')] }
    },
    async finish() {
      return { outputBytes: (await stat(join(out, 'layer.tar.gz'))).size }
    },
  }
}

/** Runs the benchmark and returns its rows. */
export async function run(opts: BenchOptions): Promise<BenchResult> {
  const sizeMiB = opts.sizeMiB
  const work = await benchDir('layer')
  try {
    const src = join(work, 'src')
    await mkdir(src)
    const bytes = await makeTree(src, sizeMiB)
    const out = join(work, 'out')
    const maker = join(work, 'make-layer.cjs')
    await bundleLayerMaker(maker)
    const common = { runs: opts.runs, warmup: opts.warmup, check: sameCounts(['outputBytes'], 0.05) }
    const create = await compare({
      ...common, id: 'layer-create', title: `layer from ${sizeMiB} MiB of mixed files vs \`tar | pigz -6\``,
      lading: {
        name: 'lading layer code (gzip -6, both digests)',
        async prepare() {
          await rm(out, { recursive: true, force: true })
          return { argv: [process.execPath, maker, src, out] }
        },
        async finish() {
          return { outputBytes: await largestBlob(join(out, 'sha256')) }
        },
      },
      peer: pigzSide(src, out),
      target: (r) => ({ text: 'throughput ≥ pigz -6', met: r.ratio.median >= 1 }),
    })
    const append = await compare({
      ...common, id: 'layer-append', title: `\`lading append\` of ${sizeMiB} MiB of mixed files to an OCI layout vs \`tar | pigz -6\``,
      lading: {
        name: 'lading append (gzip -6)',
        async prepare() {
          await rm(out, { recursive: true, force: true })
          return { argv: [LADING, 'append', 'scratch', `oci:${out}:bench`, '--layer', `${src}:/`, '--quiet'] }
        },
        async finish() {
          return { outputBytes: await largestBlob(join(out, 'blobs', 'sha256')) }
        },
      },
      peer: pigzSide(src, out),
    })
    await rm(out, { recursive: true, force: true })
    return { benchmark: 'layer-create', command: `npx tsx benchmarks/layer-create.ts --size-mb ${sizeMiB} --runs ${opts.runs}`, sizeMiB, inputBytes: bytes, rows: [create, append] }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

runAsScript(import.meta.url, () => run(cliOptions(256)))
