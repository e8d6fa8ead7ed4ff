// Guards issue #10 "Sandbox": a buildpack tries to read every secret on the host and fails the test if one read succeeds; once as root, once as a non-root user.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join, relative } from 'node:path'
import { createSandboxRunner } from '../../lib/runner/index.js'
import { stageParent } from '../../lib/runner/privilege.js'
import { secretPaths } from '../../lib/cli/main.js'
import { tlsMaterial } from '../../registry-fixtures/index.js'

const SELF = fileURLToPath(import.meta.url)
const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** Whether a user who is neither owner nor group can reach `p` (every ancestor searchable by others). */
function reachableByOthers(p: string): boolean {
  for (let d = p; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false
    if (d === dirname(d)) return true
  }
}
const CHILD = process.env.LADING_SECRETS_CHILD === '1'
const isRoot = process.getuid!() === 0
const TEST_USER = 'lading-sandbox-test'

// The env a CI job has: credential variables pointing at readable files outside /tmp and home.
function secretEnv(base: string): NodeJS.ProcessEnv {
  return {
    HOME: join(base, 'home'), DOCKER_CONFIG: join(base, 'docker'), REGISTRY_AUTH_FILE: join(base, 'containers-auth.json'),
    XDG_CONFIG_HOME: join(base, 'xdg-config'), XDG_CACHE_HOME: join(base, 'xdg-cache'), GOOGLE_APPLICATION_CREDENTIALS: join(base, 'gcp.json'),
  }
}

function secretFiles(base: string): string[] {
  const env = secretEnv(base)
  return [
    join(env.DOCKER_CONFIG!, 'config.json'), env.REGISTRY_AUTH_FILE!, join(env.XDG_CONFIG_HOME!, 'lading', 'config.toml'),
    join(env.XDG_CACHE_HOME!, 'lading', 'registries.json'), env.GOOGLE_APPLICATION_CREDENTIALS!,
    join(env.HOME!, '.docker', 'config.json'), join(env.HOME!, '.cache', 'lading', 'registries.json'), join(env.HOME!, '.config', 'x.json'),
  ]
}

const HOST_SECRETS = ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/etc/sudoers.d', '/root', '/home', '/run', '/var/lib',
  '/root/.docker/config.json', '/root/.cache/lading', '/var/lib/docker', '/run/docker.sock']

/** Runs a "buildpack" that tries to read each path; returns the paths it could read or list. */
async function probe(paths: string[], hidden: string[], overlays?: boolean): Promise<string[]> {
  const script = 'for p in "$@"; do if [ -d "$p" ]; then ls -A "$p" >/dev/null 2>&1 && echo "READ $p"; ' +
    'elif [ -e "$p" ]; then cat "$p" >/dev/null 2>&1 && echo "READ $p"; fi; done; echo done'
  let out = ''
  const runner = createSandboxRunner({ binds: [], uid: 1000, gid: 1000, network: false, alsoHide: hidden, overlays })
  let r
  try {
    r = await runner.run('/bin/sh', ['-c', script, 'probe', ...paths], { cwd: '/', env: { PATH: '/usr/bin:/bin' }, onOutput: (c) => (out += c) })
  } finally {
    await runner.close()
  }
  if (r.exitCode !== 0 || !out.endsWith('done\n')) throw new Error(`probe failed (${r.exitCode}): ${out}`)
  return out.split('\n').filter((l) => l.startsWith('READ ')).map((l) => l.slice(5))
}

if (CHILD) {
  // the non-root half: this file again, as an unprivileged user, with the secrets made by the parent
  const base = process.env.LADING_SECRETS_BASE!
  const env = secretEnv(base)
  t.test('as a non-root user, a buildpack reads none of the secrets', async (t) => {
    const paths = [...HOST_SECRETS, ...secretFiles(base), ...(process.env.LADING_SECRETS_EXTRA ?? '').split(':').filter(Boolean)]
    t.same(await probe(paths, secretPaths(env, env.HOME!)), [])
  })
} else {
  t.test('as the user running the tests, a buildpack reads none of the secrets', async (t) => {
    // under /opt, which the sandbox shows, and readable by everyone: only hiding keeps them out
    const base = isRoot ? `/opt/lading-secrets-${process.pid}` : t.testdir({})
    t.teardown(() => rmSync(base, { recursive: true, force: true }))
    for (const f of secretFiles(base)) {
      mkdirSync(join(f, '..'), { recursive: true })
      writeFileSync(f, '{"auths":{"registry.example.com":{"auth":"c2VjcmV0"}}}')
    }
    spawnSync('chmod', ['-R', 'a+rX', base])
    const tls = await tlsMaterial()
    const fixtures = [tls.keyFile, tls.caFile]
    const env = secretEnv(base)
    const paths = [...HOST_SECRETS, ...secretFiles(base), ...fixtures]
    t.same(await probe(paths, secretPaths(env, env.HOME!)), [], 'no secret is readable')
    if (isRoot) t.same(await probe(paths, secretPaths(env, env.HOME!), false), [], 'none either with a bind per entry instead of overlays')
    t.same(await probe([join(base, 'docker', 'config.json')], []), isRoot ? [join(base, 'docker', 'config.json')] : [],
      'control: without hiding, the readable file under /opt is readable (so the probe can see a read)')

    if (!isRoot) return
    if (spawnSync('id', ['-u', TEST_USER]).status !== 0) {
      const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER], { encoding: 'utf8' })
      t.equal(made.status, 0, `useradd: ${made.stderr}`)
    }
    const uid = Number(spawnSync('id', ['-u', TEST_USER], { encoding: 'utf8' }).stdout.trim())
    const gid = Number(spawnSync('id', ['-g', TEST_USER], { encoding: 'utf8' }).stdout.trim())
    // the fixtures' key is root's (0600): give the test user a readable copy of it, where the
    // fixtures keep theirs (the temp dir), so hiding is what is tested
    const extra = join(tls.keyFile, '..', `key-copy-${process.pid}.pem`)
    t.teardown(() => rmSync(extra, { force: true }))
    chmodSync(join(extra, '..'), 0o755)
    writeFileSync(extra, 'key')
    chmodSync(extra, 0o644)
    chownSync(extra, uid, gid)
    t.ok(statSync(extra).isFile())
    const work = join(base, 'child-cwd')
    mkdirSync(work)
    chownSync(work, uid, gid)
    const env2 = { PATH: process.env.PATH, LADING_SECRETS_CHILD: '1', LADING_SECRETS_BASE: base, LADING_SECRETS_EXTRA: extra, HOME: '/nonexistent' }
    const tsx = fileURLToPath(import.meta.resolve('tsx'))
    let child
    if (reachableByOthers(REPO)) {
      child = spawnSync(process.execPath, ['--import', pathToFileURL(tsx).href, SELF], { uid, gid, encoding: 'utf8', cwd: work, timeout: 120_000, env: env2 })
    } else {
      // A clone in a 0700 dir (root's home, mktemp -d): the test user cannot reach it. It sees the
      // repo at a reachable path instead: an overlay on it (so the root's mode can be opened without
      // touching the clone) in a private mount namespace that ends with the child.
      const mirror = mkdtempSync(join(await stageParent(), 'lading-repo-'))
      t.teardown(() => rmSync(mirror, { recursive: true, force: true }))
      chmodSync(mirror, 0o755)
      for (const d of ['u', 'w', 'm']) mkdirSync(join(mirror, d))
      const at = (p: string): string => join(mirror, 'm', relative(REPO, p))
      // tap's process tracker adds its own --import (a path in the unreachable clone) to NODE_OPTIONS.
      const script = 'unset NODE_OPTIONS; mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/u,workdir=$2/w" "$2/m" && ' +
        'chmod 755 "$2/m" && shift 2 && exec setpriv --reuid="$1" --regid="$2" --clear-groups -- "$3" --import "$4" "$5"'
      child = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', REPO, mirror,
        String(uid), String(gid), process.execPath, pathToFileURL(at(tsx)).href, at(SELF)], { encoding: 'utf8', cwd: work, timeout: 120_000, env: env2 })
    }
    t.equal(child.status, 0, `the non-root run passed:\n${child.stdout}\n${child.stderr}`)
    t.match(child.stdout, /# \{ total: 1, pass: 1 \}/, 'the non-root run ran its test and it passed')
  })
}
