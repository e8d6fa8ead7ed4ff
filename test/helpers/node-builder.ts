// Shared by the Node.js builder tests: a loopback registry with the builder published, bin/lading without tap's hooks, copies of buildpacks/samples, and a look inside a built image (its web process's HTTP answer, or a node one-liner) with podman.
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { makeBuilder, type MadeBuilder } from '../../buildpacks/make-builder.js'
import { podmanRun, startRegistry, type RegistryFixture } from '../../registry-fixtures/index.js'
import { cleanEnv, LADING_BIN } from './cli.js'

export const SAMPLES = fileURLToPath(new URL('../../buildpacks/samples/', import.meta.url))

/** A throw-away copy of buildpacks/samples/NAME (builds write into the app dir), edited by `edit`. */
export function sample(t: Test, name: string, edit?: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), `lading-app-${name}-`))
  cpSync(join(SAMPLES, name), dir, { recursive: true })
  edit?.(dir)
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * A program run without tap's process-info hook: it puts NODE_OPTIONS back into every child's env,
 * and lading would hand it to bwrap, where the build image's node cannot load a hook from this checkout.
 */
export function runUnhooked(argv: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', ...argv], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

/** bin/lading without tap's process-info hook (runUnhooked). */
export function lading(argv: string[]): ReturnType<typeof runUnhooked> {
  return runUnhooked([LADING_BIN, ...argv])
}

/** Starts the image's web process in the container and fetches `path` on PORT from inside (podman runs with --network none). */
function probe(port: number, path: string): string {
  return `const c=require("child_process").spawn("/cnb/process/web",[],{stdio:["ignore","ignore","inherit"]});let n=0;`
    + `const go=()=>fetch("http://127.0.0.1:${port}${path}").then(r=>r.text()).then(x=>{process.stdout.write(x);c.kill();process.exit(0)},`
    + '(e)=>{if(++n>150){console.error(String(e));c.kill();process.exit(1)}setTimeout(go,100)});go()'
}

/** The web process's answer; PORT is set as platforms (Heroku, Paketo's docs) do, and most apps default to 8080 anyway. */
export async function httpAnswer(image: string, path = '/', port = 8080): Promise<string> {
  const r = await podmanRun(image, { entrypoint: '/cnb/lifecycle/launcher', args: ['--', 'node', '-e', probe(port, path)], env: { PORT: String(port) } })
  return r.stdout
}

/** What `node -e js` prints in the image's app directory, with the launch environment. */
export async function inImage(image: string, js: string): Promise<string> {
  return (await podmanRun(image, { entrypoint: '/cnb/lifecycle/launcher', args: ['--', 'node', '-e', js] })).stdout
}

/** One test file's loopback registry with the Node.js builder under REGISTRY/lading, and its build-cache dir. */
export interface NodeBuilderSuite {
  readonly reg: RegistryFixture
  readonly made: MadeBuilder
  readonly cacheDir: string
  /** `lading build IMAGE --builder … --path DIR --cache-dir …` plus `extra`: the README's command, network on by default. */
  build(image: string, dir: string, ...extra: string[]): ReturnType<typeof lading>
}

/** Starts the registry and publishes the builder before the file's tests (cold builds download Node.js and run the package managers: slow). */
export function nodeBuilderSuite(t: Test, cachePrefix: string): NodeBuilderSuite {
  t.setTimeout(1_200_000)
  const cacheDir = mkdtempSync(join(tmpdir(), cachePrefix))
  let reg: RegistryFixture | undefined
  let made: MadeBuilder | undefined
  t.before(async () => {
    reg = await startRegistry()
    made = await makeBuilder(`${reg.host}/lading`)
  })
  t.teardown(async () => {
    await reg?.stop()
    rmSync(cacheDir, { recursive: true, force: true })
  })
  return {
    get reg() { return reg! },
    get made() { return made! },
    cacheDir,
    build: (image, dir, ...extra) => lading(['build', image, '--builder', made!.builder, '--path', dir, '--cache-dir', cacheDir, ...extra]),
  }
}
