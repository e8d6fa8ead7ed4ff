/** Entry of the bundled buildpack program: `main.mjs <buildpack-id> detect|build [args]`; turns a BuildpackError into one clear line on stderr and exit 1. */
import { BuildpackError, buildContext, detectContext, type BuildContext, type DetectContext } from './cnb.js'
import * as engine from './node-engine.js'
import * as npm from './npm-install.js'
import * as pnpm from './pnpm-install.js'
import * as start from './node-start.js'
import * as yarn from './yarn-install.js'

interface Buildpack { ID: string; detect(ctx: DetectContext): number; build(ctx: BuildContext): Promise<void> }
const BUILDPACKS: Record<string, Buildpack> = Object.fromEntries([engine, yarn, pnpm, npm, start].map((b) => [b.ID, b]))

async function main(argv: string[]): Promise<number> {
  const [id, phase, ...rest] = argv
  const bp = BUILDPACKS[id ?? '']
  if (!bp || (phase !== 'detect' && phase !== 'build')) {
    process.stderr.write(`usage: main.mjs ${Object.keys(BUILDPACKS).join('|')} detect|build\n`)
    return 2
  }
  const name = bp.ID.split('/')[1]
  try {
    if (phase === 'detect') return bp.detect(detectContext(rest, process.env))
    await bp.build(buildContext(rest, process.env, name!))
    return 0
  } catch (err) {
    if (err instanceof BuildpackError) {
      process.stderr.write(`${name}: ERROR: ${err.message}\n`)
      return phase === 'detect' ? 1 : 1
    }
    throw err
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`)
  process.exitCode = 1
})
