/**
 * `npx tsx stacks/make-stack.ts PREFIX [--run-patch TEXT] [--json]`: builds the Debian bookworm
 * build and run images (cached by package-set hash) and publishes PREFIX/run:latest and
 * PREFIX/build:latest (or oci:DIR:run and oci:DIR:build).
 */
import { parseArgs } from 'node:util'
import { publishStack } from './stack.js'

const { positionals, values } = parseArgs({ allowPositionals: true, options: {
  'run-patch': { type: 'string' }, json: { type: 'boolean' }, 'insecure-registry': { type: 'string', multiple: true },
} })
if (positionals.length !== 1) {
  process.stderr.write('usage: npx tsx stacks/make-stack.ts PREFIX|oci:DIR [--run-patch TEXT] [--json]\n')
  process.exit(3)
}
const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : undefined
const res = await publishStack(positionals[0]!, {
  ...(epoch ? { epoch } : {}),
  ...(process.env.DEBIAN_MIRROR ? { mirror: process.env.DEBIAN_MIRROR } : {}),
  ...(values['run-patch'] ? { runPatch: values['run-patch'] } : {}),
  insecureRegistries: values['insecure-registry'] ?? [],
  log: (l) => process.stderr.write(`${l}\n`),
})
if (values.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`)
else process.stdout.write(`${res.run.ref} ${res.run.digest}\n${res.build.ref} ${res.build.digest}\n`)
