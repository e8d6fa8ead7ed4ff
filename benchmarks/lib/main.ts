// Running a benchmark module on its own: numeric flags, and the JSON result printed when the file is the entry point.
import { fileURLToPath } from 'node:url'

/** The number after `name` on the command line, or `fallback`. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

/** When `metaUrl` is the script node was started with, runs `bench` and prints its result as JSON. */
export function runAsScript(metaUrl: string, bench: () => Promise<unknown>): void {
  if (!process.argv[1] || fileURLToPath(metaUrl) !== process.argv[1]) return
  bench()
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: Error) => {
      process.stderr.write(`${err.stack ?? err}\n`)
      process.exitCode = 1
    })
}
