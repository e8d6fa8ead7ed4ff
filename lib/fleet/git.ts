/** Sources from git with the git CLI: a revision resolved to its commit (ls-remote, or as is when
 * it already is one), and a shallow fetch of exactly that commit into a per-repository bare cache,
 * checked out into a fresh directory for the build.
 */
import { execFile, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { LadingError } from '../errors.js'

const SHA = /^[0-9a-f]{40}$/

// core.askPass=true: a fleet run fails on a private repository instead of waiting for a password.
const NO_PROMPT = ['-c', 'core.askPass=true']

function git(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...NO_PROMPT, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new LadingError('ERR_FLEET_GIT', `git ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}: ${stderr.trim().split('\n').pop() || err.message}`, { cause: err }))
      else resolve(stdout)
    })
  })
}

/** Returns the commit `revision` (branch, tag, HEAD or a commit) of `url` names now. */
export async function resolveRevision(url: string, revision: string): Promise<string> {
  if (SHA.test(revision)) return revision
  const out = await git(['ls-remote', '--', url, revision, `${revision}^{}`])
  const lines = out.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string])
  // An exact ref first, then a branch, then a tag (peeled `^{}` wins: it is the commit).
  const pick = lines.find(([, r]) => r === revision) ?? lines.find(([, r]) => r === `refs/heads/${revision}`)
    ?? lines.find(([, r]) => r === `refs/tags/${revision}^{}`) ?? lines.find(([, r]) => r === `refs/tags/${revision}`) ?? lines[0]
  if (!pick) throw new LadingError('ERR_FLEET_GIT', `git ls-remote: ${url} has no revision ${JSON.stringify(revision)}`)
  return pick[0]
}

const locks = new Map<string, Promise<unknown>>()

/** Runs `f` after every earlier call for the same key (one git process per cache repository). */
async function serial<T>(key: string, f: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve()
  const next = prev.then(f, f)
  locks.set(key, next.catch(() => {}))
  return next
}

/**
 * Fetches `commit` of `url` (depth 1) into `cacheRoot/<hash of url>.git` unless it is already
 * there, and checks it out into `dest` (created; must not exist). Returns `dest`.
 */
export async function checkoutCommit(url: string, commit: string, cacheRoot: string, dest: string): Promise<string> {
  const cache = join(cacheRoot, `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.git`)
  await serial(cache, async () => {
    const exists = await stat(join(cache, 'HEAD')).then(() => true, () => false)
    if (!exists) {
      await mkdir(cache, { recursive: true })
      await git(['init', '-q', '--bare', cache])
    }
    const have = await git(['--git-dir', cache, 'cat-file', '-e', `${commit}^{commit}`]).then(() => true, () => false)
    if (!have) await git(['--git-dir', cache, 'fetch', '-q', '--depth', '1', '--', url, commit])
  })
  await mkdir(dest, { recursive: true })
  await extract(cache, commit, dest)
  return dest
}

/** `git archive COMMIT | tar -x -C dest`: a checkout that touches no index, so builds may share the cache. */
function extract(cache: string, commit: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', [...NO_PROMPT, '--git-dir', cache, 'archive', '--format=tar', commit], { stdio: ['ignore', 'pipe', 'pipe'] })
    const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] })
    archive.stdout.pipe(tar.stdin)
    let err = ''
    archive.stderr.on('data', (d) => (err += d))
    tar.stderr.on('data', (d) => (err += d))
    let left = 2
    let failed = false
    const done = (code: number | null): void => {
      if (code !== 0 && !failed) {
        failed = true
        reject(new LadingError('ERR_FLEET_GIT', `git archive ${commit}: ${err.trim() || `exit ${code}`}`))
      }
      if (--left === 0 && !failed) resolve()
    }
    archive.on('error', reject)
    tar.on('error', reject)
    archive.on('close', done)
    tar.on('close', done)
  })
}

/** The io.buildpacks.project.metadata source the lifecycle records for a git checkout. */
export function gitProjectSource(url: string, commit: string, revision: string) {
  return { type: 'git', version: { commit }, metadata: { repository: url, revision } }
}
