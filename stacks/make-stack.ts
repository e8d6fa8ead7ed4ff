/**
 * `npx tsx stacks/make-stack.ts PREFIX [--run-patch TEXT] [--arch amd64|arm64] [--run-only] [--json]`:
 * builds the Debian bookworm build and run images (cached by package-set hash) and publishes
 * PREFIX/run:latest and PREFIX/build:latest (or oci:DIR:run and oci:DIR:build). A foreign --arch
 * needs qemu-user-static for the build image; --run-only makes the run image alone, which needs none.
 */
import { parseArgs } from 'node:util'
import { ARCHES, publishStack, type Arch } from './stack.js'

const { positionals, values } = parseArgs({ allowPositionals: true, options: {
  'run-patch': { type: 'string' }, json: { type: 'boolean' }, 'insecure-registry': { type: 'string', multiple: true },
  arch: { type: 'string' }, 'run-only': { type: 'boolean' },
} })
const arch = values.arch as Arch | undefined
if (positionals.length !== 1 || (arch && !ARCHES.includes(arch))) {
  process.stderr.write(`usage: npx tsx stacks/make-stack.ts PREFIX|oci:DIR [--run-patch TEXT] [--arch ${ARCHES.join('|')}] [--run-only] [--json]\n`)
  process.exit(3)
}
const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : undefined
const res = await publishStack(positionals[0]!, {
  ...(epoch ? { epoch } : {}),
  ...(process.env.DEBIAN_MIRROR ? { mirror: process.env.DEBIAN_MIRROR } : {}),
  ...(values['run-patch'] ? { runPatch: values['run-patch'] } : {}),
  ...(arch ? { arch } : {}),
  ...(values['run-only'] ? { flavours: ['run' as const] } : {}),
  insecureRegistries: values['insecure-registry'] ?? [],
  log: (l) => process.stderr.write(`${l}\n`),
}).catch((err: Error) => {
  process.stderr.write(`make-stack: ${err.message}\n`)
  process.exit(1)
})
if (values.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`)
else for (const f of [res.run, res.build]) if (f) process.stdout.write(`${f.ref} ${f.digest}\n`)
