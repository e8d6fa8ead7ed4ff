/** A small fleet world in OCI layouts for lib/fleet tests: an opener, run images and app images with the labels a build writes. */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appendLayers, imageFromParts, layerFromBytes, withConfig, type Image } from '../../lib/image/index.js'
import { openLayout, parseLayoutReference } from '../../lib/layout/index.js'
import { emptyLayersMetadata, encodeBuildMetadata, encodeLifecycleMetadata, encodeProjectMetadata, LABELS, type ProjectMetadata } from '../../lib/platform/index.js'
import { RunImageCache } from '../../lib/rebase/index.js'
import { pushImage } from '../../lib/remote/index.js'
import { FLEET_LABEL, encodeFleetRecord, type FleetRecord, type Opener } from '../../lib/fleet/index.js'

const layouts = new Map<string, Awaited<ReturnType<typeof openLayout>>>()

/** Opens `oci:DIR[:TAG]` and `oci:DIR@sha256:…` names. */
export const layoutOpener: Opener = async (name, opts) => {
  const at = name.indexOf('@')
  const { dir, tag } = at > 0 ? { dir: name.slice(4, at), tag: name.slice(at + 1) } : parseLayoutReference(name)
  // One object per layout, as the CLI's opener does: index.json updates are serialised per object.
  const repo = layouts.get(dir) ?? await openLayout(dir, { create: Boolean(opts?.create) })
  layouts.set(dir, repo)
  const identifier = tag ?? 'latest'
  const tags = identifier.startsWith('sha256:') ? [] : [identifier]
  return { repo, identifier, tags, display: name, registry: '', refs: tags.map((t) => `oci:${dir}:${t}`) }
}

export const newRunImages = (): RunImageCache => new RunImageCache((n) => layoutOpener(n))

/** A run image with one layer of `content`, tagged `tag` in `dir`; returns its image. */
export async function pushRun(dir: string, tag: string, content: string): Promise<Image> {
  const repo = await openLayout(dir, { create: true })
  const img = imageFromParts({ config: { Labels: { 'io.buildpacks.stack.id': 'st', 'io.buildpacks.base.distro.name': 'busybox' } }, layers: [layerFromBytes(Buffer.from(content))] })
  await pushImage(repo, img, [tag])
  return img
}

/** Options of pushApp: what the labels say about the build. */
export interface AppState {
  run: Image
  runName: string
  runRepoName: string
  buildpacks?: { id: string; version: string }[]
  project?: ProjectMetadata
  fleet?: FleetRecord
}

/** An app image on `s.run` with the labels a fleet build writes; returns its digest. */
export async function pushApp(dir: string, tag: string, s: AppState): Promise<string> {
  const repo = await openLayout(dir, { create: true })
  const md = emptyLayersMetadata()
  md.runImage = { topLayer: (await s.run.config()).rootfs.diff_ids.at(-1)!, reference: `${s.runRepoName}@${await s.run.digest()}`, image: s.runName, mirrors: [] }
  const labels: Record<string, string> = {
    [LABELS.LIFECYCLE_METADATA]: encodeLifecycleMetadata(md),
    [LABELS.BUILD_METADATA]: encodeBuildMetadata({ buildpacks: s.buildpacks ?? [], launcher: { version: '', source: { git: { repository: '', commit: '' } } }, processes: [] }),
    [LABELS.PROJECT_METADATA]: encodeProjectMetadata(s.project),
    ...(s.fleet ? { [FLEET_LABEL]: encodeFleetRecord(s.fleet) } : {}),
  }
  const img = withConfig(appendLayers(s.run, { layer: layerFromBytes(Buffer.from(`app ${tag}`)) }), (c) => ({
    ...c, config: { ...c.config, Env: ['CNB_PLATFORM_API=0.13'], Labels: { ...c.config?.Labels, ...labels } },
  }))
  return (await pushImage(repo, img, [tag])).digest
}

/** A buildpack that passes detect and does nothing, as ID@VERSION. */
export async function writeBp(dir: string, id: string, version: string): Promise<void> {
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), `api = "0.10"\n[buildpack]\nid = "${id}"\nversion = "${version}"\n`)
  for (const f of ['detect', 'build']) {
    await writeFile(join(dir, 'bin', f), '#!/bin/sh\nexit 0\n')
    await chmod(join(dir, 'bin', f), 0o755)
  }
}

export const layoutName = (dir: string): string => `oci:${dir}`
export { join }

/** A fleet test's world on disk: a temp dir (removed at teardown) with buildpack ./bp (ex/bp 1.0.0) and source ./src. */
export async function fleetWorld(t: { teardown(fn: () => unknown): void }, name: string): Promise<{ dir: string; runName: string; apps: string; tag: (n: string) => string }> {
  const { mkdtemp, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(join(tmpdir(), `lading-fleet-${name}-`))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeBp(join(dir, 'bp'), 'ex/bp', '1.0.0')
  await mkdir(join(dir, 'src'))
  await writeFile(join(dir, 'src', 'f'), 'x')
  const apps = join(dir, 'apps')
  return { dir, runName: `oci:${join(dir, 'run')}:current`, apps, tag: (n) => `oci:${apps}:${n}` }
}
