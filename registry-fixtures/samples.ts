/**
 * Sample CNB buildpacks (bash) and sample apps for lading's end-to-end build tests and benchmarks,
 * with the outputs a correct build gives when its image runs on the busybox run image.
 * Paths are absolute, so tests can pass them straight to `lading build`.
 *
 * Buildpacks (`registry-fixtures/buildpacks/<name>/`, ids `lading-test/<name>`, version 0.0.1):
 * - base (API 0.8): layer `tools` (launch+build) with `bin/greet` and env files of every kind.
 * - deps (API 0.10): `[[or]]` plan; layers `deps` (launch+cache, BP_DEPS_SIZE_MB MiB, default 1),
 *   `launch-meta` (launch only; metadata-only on a rebuild), `compile-cache` (cache only, a
 *   counter), `build-only` (build only, `bin/deps-tool`); `store.toml`.
 * - procs (API 0.11): processes web (default), worker, env; a label; a slice `static/*`; an SBOM.
 * - meta: composite of base, deps, procs and optional-fails (optional).
 * - optional-fails / optional-errors: detect exit 100 / 1.
 * - failure samples: fails-build, bad-layer-toml, bad-process, never, detect-error, old-api,
 *   version-require.
 * Knobs read by deps (as build env, e.g. `--env`): BP_DEPS_SIZE_MB, BP_DEPS_SEED (changes the
 * deps bytes, e.g. for cold benchmark runs), BP_COUNT_BUILDS=true (increment store.toml builds;
 * off by default because the store is in the image label and would change the digest).
 * bad-layer-toml reads BP_BAD_LAYER = malformed | top-level (default: both files).
 * net-probe connects to 127.0.0.1:NET_PROBE_PORT (platform env) and fails the build when it cannot.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = fileURLToPath(new URL('.', import.meta.url))

/** Directory names under `registry-fixtures/buildpacks/`. */
export type SampleBuildpackName =
  | 'base' | 'deps' | 'procs' | 'meta' | 'optional-fails' | 'optional-errors' | 'fails-build'
  | 'bad-layer-toml' | 'bad-process' | 'never' | 'detect-error' | 'old-api' | 'version-require' | 'writes-outside' | 'sh-only' | 'net-probe'

/** Every sample buildpack version (all the same). */
export const SAMPLE_VERSION = '0.0.1'

/** Buildpack API each sample declares. */
export const SAMPLE_APIS: Readonly<Record<SampleBuildpackName, string>> = {
  'base': '0.8',
  'deps': '0.10',
  'procs': '0.11',
  'meta': '0.10',
  'optional-fails': '0.10',
  'optional-errors': '0.10',
  'fails-build': '0.10',
  'bad-layer-toml': '0.10',
  'bad-process': '0.10',
  'never': '0.10',
  'detect-error': '0.10',
  'old-api': '0.2',
  'version-require': '0.10',
  'writes-outside': '0.10',
  'sh-only': '0.10',
  'net-probe': '0.10',
}

/** Returns the buildpack id of a sample: `lading-test/<name>`. */
export function sampleId(name: SampleBuildpackName): string {
  return `lading-test/${name}`
}

const buildpacksDir = join(HERE, 'buildpacks')

/** Absolute paths of the samples. `buildpacksDir` works as `--buildpacks-dir`. */
export const SAMPLES = {
  buildpacksDir,
  /** The directory holding `<name>`'s buildpack.toml (usable as `--buildpack DIR`). */
  buildpack(name: SampleBuildpackName): string {
    return join(buildpacksDir, name)
  },
  apps: {
    /** project.toml 0.2: group lading-test/meta@0.0.1, BP_DEPS_SIZE_MB=1, exclude *.log and .gitignore. */
    hello: join(HERE, 'apps', 'hello'),
    /** project.toml 0.1: base, deps, procs by uri (relative to the app dir); include filter. */
    legacyProject: join(HERE, 'apps', 'legacy-project'),
    /** project.toml 0.2: group lading-test/meta; the benchmark sets BP_DEPS_SIZE_MB itself. */
    bench: join(HERE, 'apps', 'bench'),
  },
  /** order.toml: group 1 = never + optional-errors (fails), group 2 = lading-test/meta (resolves). */
  orderFile: join(HERE, 'order.toml'),
} as const

/** The two lines the default `web` process prints (`greet NAME`, cwd /workspace). */
export function webOutput(o: { name?: string; message?: string; cwd?: string; profile?: string } = {}): string {
  // profile=no: web is a direct process, and the launcher (as the lifecycle's) sources no
  // .profile for direct processes.
  const line1 = `Hello, ${o.name ?? 'world'}! (app_mode=production web_only=yes build_only=unset profile=${o.profile ?? 'no'} cwd=${o.cwd ?? '/workspace'})\n`
  return o.message === undefined ? line1 : `${line1}message: ${o.message}\n`
}

/**
 * What the e2e tests should see for an image built from `SAMPLES.apps.hello` (or legacyProject /
 * bench, whose message.txt differs) by the meta group, run with podman on the busybox run image
 * through the sh launcher (which, as the lifecycle's, sources `/workspace/.profile` for shell
 * processes only: every process here is direct).
 */
export const EXPECTED = {
  /** group.toml after detect (optional-fails dropped; meta never appears). */
  group: ['lading-test/base', 'lading-test/deps', 'lading-test/procs'],
  /** plan.toml: dependency name → providers. deps resolves through its [[or]] option (#1). */
  plan: { base: ['lading-test/base'], deps: ['lading-test/deps'] },
  /** Process types, sorted; `web` is the default (the image Entrypoint is /cnb/process/web). */
  processes: ['env', 'web', 'worker'],
  defaultProcess: 'web',
  labels: { 'io.lading.test.procs': 'procs-0.0.1' },
  /** Launch layers in image order (group order, names sorted); launch-meta is reused on rebuilds. */
  launchLayers: [
    { buildpack: 'lading-test/base', layer: 'tools' },
    { buildpack: 'lading-test/deps', layer: 'deps' },
    { buildpack: 'lading-test/deps', layer: 'launch-meta' },
  ],
  /** Layers that go to the cache (cache=true). build-only is neither in the image nor cached. */
  cacheLayers: [
    { buildpack: 'lading-test/deps', layer: 'compile-cache' },
    { buildpack: 'lading-test/deps', layer: 'deps' },
  ],
  /** App layers: one slice (`static/*`) then the remainder. */
  slices: [['static/*']],
  appLayerCount: 2,
  /** Files of each app that must NOT be in /workspace in the image. */
  excluded: {
    hello: ['ignored.log', '.gitignore'],
    legacyProject: ['notes.md', 'project.toml'],
  },
  /** message.txt of each app (printed by `web` as "message: …"). */
  messages: {
    hello: 'hello from the sample app',
    legacyProject: 'hello from the legacy app',
    bench: 'hello from the benchmark app',
  },
  /** `podman run IMAGE` (default process, default args). */
  web: { args: [] as string[], stdout: webOutput({ message: 'hello from the sample app' }) },
  /** `podman run IMAGE alice`: user args replace the default args (API >= 0.9). */
  webWithArgs: { args: ['alice'], stdout: webOutput({ name: 'alice', message: 'hello from the sample app' }) },
  /** `podman run --entrypoint worker IMAGE`. */
  worker: { entrypoint: 'worker', stdout: 'worker production Hello\n' },
  /**
   * `podman run --entrypoint env IMAGE`: lines that must appear and variable names that must not
   * (BUILD_ONLY is build-time only, WEB_ONLY is for `web` only, CNB_* are removed by the launcher).
   * PATH_EXTRA shows prepend + delim across buildpacks; GREETING shows the earliest default wins;
   * LAUNCH_META comes from the launch-meta layer, also when it was reused from the previous image.
   * EXECD_* come from base's exec.d programs (EXECD_ENV_ONLY from exec.d/env/, for this process).
   */
  env: {
    entrypoint: 'env',
    lines: ['APP_MODE=production', 'GREETING=Hello', 'PATH_EXTRA=deps:base', 'LAUNCH_META=v1',
      'EXECD_GREETING=Hello from exec.d', 'EXECD_ENV_ONLY=yes'],
    absent: ['BUILD_ONLY', 'WEB_ONLY', 'CNB_LAYERS_DIR', 'CNB_APP_DIR', 'CNB_PLATFORM_API', 'PROFILE_SOURCED'],
  },
  /** Files in the image (under /layers) that prove the layers were exported. */
  files: {
    greet: '/layers/lading-test_base/tools/bin/greet',
    depsData: '/layers/lading-test_deps/deps/share/deps.bin',
    launchMeta: '/layers/lading-test_deps/launch-meta/meta.txt',
  },
  /** Build-log lines (stdout of bin/build) on the first build and on a no-change rebuild. */
  buildLog: {
    first: ['deps: generating 1 MiB', 'launch-meta: writing layer', 'compile-cache: fresh'],
    rebuild: ['deps: reusing cached layer', 'launch-meta: reusing from previous image', 'launch-meta: sbom restored', 'compile-cache: restored (count=1)',
      'compile-cache: sbom restored', 'store: restored (builds=1)'],
    /** The n-th build (1-based, n >= 2, cache kept) prints this. */
    compileCacheRestored: (build: number): string => `compile-cache: restored (count=${build - 1})`,
  },
  /** The deps layer's file size for BP_DEPS_SIZE_MB = mb. */
  depsBytes: (mb: number): number => mb * 1048576,
  /**
   * Failure samples, each used alone (`--buildpack DIR`), with the lifecycle's exit code for the
   * phase and a text the error output should contain.
   */
  failures: {
    'never': { exitCode: 20, text: 'lading-test/never' },
    'detect-error': { exitCode: 21, text: 'lading-test/detect-error' },
    'version-require': { exitCode: 21, text: 'version' },
    'old-api': { exitCode: 12, text: '0.2' },
    'fails-build': { exitCode: 51, text: 'intentional build failure' },
    'bad-layer-toml': { exitCode: 50, text: 'broken.toml' },
    'bad-process': { exitCode: 64, text: 'does-not-exist' },
    'writes-outside': { exitCode: 53, text: 'wrote outside its layers directory: /layers/stray' },
  },
} as const
