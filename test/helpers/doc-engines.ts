/**
 * Plays the fleet examples in docs/ the way their engines would, with podman instead of a cluster:
 * a Kubernetes Indexed Job (one container per completion index, with its command, args, env,
 * ConfigMap and Secret volumes), a Tekton Task fanned out by a Pipeline's matrix (params and
 * workspaces substituted into the step's script, run from a file as Tekton does), and a GitHub
 * Actions matrix job in a container (`run:` steps through `sh -e` in the checked-out workspace).
 * Only the fields the examples use are understood; anything else fails loudly, so an example that
 * grows a field this player does not know cannot pass by being ignored.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import type { PodmanRunOptions } from '../../registry-fixtures/index.js'

/** One container run: what an engine would start for one index / matrix entry. */
export type ContainerRun = Omit<PodmanRunOptions, 'tlsVerify' | 'creds' | 'certDir'> & { image: string; label: string }

// The examples are written with `any`-shaped YAML; these are the few shapes read here.
type Obj = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** The YAML code blocks of a Markdown document, each as its list of documents. */
export function yamlBlocks(markdown: string): Obj[][] {
  const blocks = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
  return blocks.map((b) => parseAllDocuments(b).map((d) => {
    if (d.errors.length) throw new Error(`YAML in the docs does not parse: ${d.errors[0]!.message}`)
    return d.toJS() as Obj
  }))
}

const needOne = <T>(xs: T[], what: string): T => {
  if (xs.length !== 1) throw new Error(`expected one ${what}, found ${xs.length}`)
  return xs[0]!
}

/**
 * The pods of the example's Indexed Job. ConfigMap data is written under `dir` (after `rewrite`),
 * Secret items come from `secrets[secretName][key]`.
 */
export function kubernetesPods(docs: Obj[], dir: string, opts: { secrets: Record<string, Record<string, string>>; rewrite: (s: string) => string; extraVolumes?: string[] }): ContainerRun[] {
  const maps = new Map(docs.filter((d) => d.kind === 'ConfigMap').map((d) => [d.metadata.name as string, d.data as Record<string, string>]))
  const job = needOne(docs.filter((d) => d.kind === 'Job'), 'Job')
  if (job.apiVersion !== 'batch/v1' || job.spec.completionMode !== 'Indexed') throw new Error('the example Job is not a batch/v1 Indexed Job')
  const pod = job.spec.template.spec
  const c = needOne(pod.containers as Obj[], 'container')
  const volumes: string[] = [...(opts.extraVolumes ?? [])]
  for (const m of (c.volumeMounts ?? []) as Obj[]) {
    const v = (pod.volumes as Obj[]).find((x) => x.name === m.name)
    if (!v) throw new Error(`volumeMount ${m.name} has no volume`)
    const host = join(dir, `volume-${v.name}`)
    mkdirSync(host, { recursive: true })
    if (v.configMap) {
      const data = maps.get(v.configMap.name)
      if (!data) throw new Error(`ConfigMap ${v.configMap.name} is not in the example`)
      for (const [k, s] of Object.entries(data)) writeFileSync(join(host, k), opts.rewrite(s))
    } else if (v.secret) {
      const secret = opts.secrets[v.secret.secretName] ?? {}
      for (const it of (v.secret.items ?? []) as Obj[]) writeFileSync(join(host, it.path), secret[it.key] ?? '')
    } else throw new Error(`volume ${v.name}: only configMap and secret volumes are played`)
    volumes.push(`${host}:${m.mountPath}:ro`)
  }
  const env = Object.fromEntries(((c.env ?? []) as Obj[]).map((e) => [e.name as string, opts.rewrite(String(e.value))]))
  return Array.from({ length: Number(job.spec.completions) }, (_, i) => ({
    label: `pod ${i}`, image: c.image, network: 'host' as const, volumes,
    ...(c.command ? { entrypoint: JSON.stringify(c.command) } : {}),
    args: (c.args ?? []).map((a: string) => opts.rewrite(a)),
    env: { ...env, JOB_COMPLETION_INDEX: String(i) },
  }))
}

/** Every combination of a Tekton matrix's params. */
function combinations(params: Obj[]): Array<Record<string, string>> {
  return params.reduce<Array<Record<string, string>>>((acc, p) => acc.flatMap((a) => (p.value as string[]).map((v) => ({ ...a, [p.name]: v }))), [{}])
}

/**
 * The TaskRuns the example Pipeline's matrix makes. `workspaces` maps the Pipeline's workspace
 * names to host directories; scripts are written under `dir`.
 */
export function tektonTaskRuns(docs: Obj[], dir: string, opts: { workspaces: Record<string, string>; rewrite: (s: string) => string; extraVolumes?: string[] }): ContainerRun[] {
  const task = needOne(docs.filter((d) => d.kind === 'Task'), 'Task')
  const pipeline = needOne(docs.filter((d) => d.kind === 'Pipeline'), 'Pipeline')
  const pt = needOne((pipeline.spec.tasks as Obj[]).filter((x) => x.taskRef?.name === task.metadata.name), 'pipeline task')
  const step = needOne(task.spec.steps as Obj[], 'step')
  const paths = new Map<string, string>()
  const volumes: string[] = [...(opts.extraVolumes ?? [])]
  for (const w of task.spec.workspaces as Obj[]) {
    const bound = ((pt.workspaces ?? []) as Obj[]).find((b) => b.name === w.name)
    const host = bound && opts.workspaces[bound.workspace]
    if (!host) {
      if (w.optional) continue
      throw new Error(`workspace ${w.name} is not bound`)
    }
    const at = w.mountPath ?? `/workspace/${w.name}`
    paths.set(w.name, at)
    volumes.push(`${host}:${at}`)
  }
  const defaults = Object.fromEntries(((task.spec.params ?? []) as Obj[]).filter((p) => p.default !== undefined).map((p) => [p.name, String(p.default)]))
  const fixed = Object.fromEntries(((pt.params ?? []) as Obj[]).map((p) => [p.name, String(p.value)]))
  const subst = (s: string, params: Record<string, string>): string => s
    .replace(/\$\(params\.([\w-]+)\)/g, (_, n: string) => { if (params[n] === undefined) throw new Error(`param ${n} has no value`); return params[n]! })
    .replace(/\$\(workspaces\.([\w-]+)\.path\)/g, (_, n: string) => paths.get(n) ?? '')
  return combinations(pt.matrix.params as Obj[]).map((m, i) => {
    const params = { ...defaults, ...fixed, ...m }
    const scripts = join(dir, `tekton-scripts-${i}`)
    mkdirSync(scripts, { recursive: true })
    writeFileSync(join(scripts, step.name), subst(step.script, params))
    chmodSync(join(scripts, step.name), 0o755)
    chmodSync(scripts, 0o755)
    return {
      label: `taskrun ${JSON.stringify(m)}`, image: step.image, network: 'host' as const,
      volumes: [...volumes, `${scripts}:/tekton/scripts:ro`], workdir: subst(step.workingDir, params),
      entrypoint: JSON.stringify([`/tekton/scripts/${step.name}`]), args: [],
      env: Object.fromEntries(((step.env ?? []) as Obj[]).map((e) => [e.name as string, opts.rewrite(String(e.value))])),
    }
  })
}

/**
 * The matrix jobs of a GitHub Actions job that runs in a container. `checkout` is the host
 * directory `actions/checkout` would fill; `secrets` fill `${{ secrets.X }}`.
 */
export function actionsJobs(job: Obj, opts: { checkout: string; secrets: Record<string, string>; extraVolumes?: string[] }): ContainerRun[] {
  if (!job.container?.image) throw new Error('the example job does not run in a container')
  const user = /--user (\S+)/.exec(job.container.options ?? '')?.[1]
  const matrix = job.strategy.matrix as Record<string, Array<string | number>>
  const keys = Object.keys(matrix)
  const entries = keys.reduce<Array<Record<string, string>>>((acc, k) => acc.flatMap((a) => matrix[k]!.map((v) => ({ ...a, [k]: String(v) }))), [{}])
  const workspace = '/__w/repo/repo'
  return entries.map((m) => {
    const expr = (s: string): string => s.replace(/\$\{\{\s*(matrix|secrets)\.([\w-]+)\s*\}\}/g, (_, scope: string, n: string) => {
      const v = scope === 'matrix' ? m[n] : opts.secrets[n]
      if (v === undefined) throw new Error(`\${{ ${scope}.${n} }} has no value`)
      return v
    })
    const steps = job.steps as Obj[]
    const runs = steps.filter((s) => s.run !== undefined)
    for (const s of steps) if (s.uses && !String(s.uses).startsWith('actions/checkout@')) throw new Error(`step uses ${s.uses}: not played`)
    const env: Record<string, string> = {}
    for (const s of runs) for (const [k, v] of Object.entries((s.env ?? {}) as Record<string, string>)) env[k] = expr(v)
    // One container per matrix entry, its run steps in order through `sh -e`, as the runner does.
    const script = runs.map((s) => expr(s.run as string)).join('\n')
    return {
      label: `job ${JSON.stringify(m)}`, image: job.container.image, network: 'host' as const, workdir: workspace,
      volumes: [...(opts.extraVolumes ?? []), `${opts.checkout}:${workspace}`], entrypoint: JSON.stringify(['sh', '-e', '-c']),
      args: [script], env, ...(user ? { user } : {}),
    }
  })
}
