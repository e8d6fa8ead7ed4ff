/** Builds one fleet image with lading's build (createImage): source from a path or a git checkout,
 * buildpacks from the entry or a builder, the declared run image; then the fleet record label
 * goes on, and only then does the tag move. A failure anywhere leaves the tag where it was.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { imageCache } from '../cache/index.js'
import { LadingError } from '../errors.js'
import { withAnnotations, withLabels } from '../image/index.js'
import type { Platform } from '../oci/index.js'
import { CNB_PATHS, createImage, type BuildEvents } from '../lifecycle/index.js'
import { readProjectFile, readProjectMetadataFile, type ProjectMetadata } from '../platform/index.js'
import { fetchImage, pushImage } from '../remote/index.js'
import type { Builders, PreparedBuilder } from './builder.js'
import type { BuildpackLists } from './buildpacks.js'
import { checkoutCommit, gitProjectSource } from './git.js'
import type { Opener } from './open.js'
import { canonicalName, type PlanItem } from './plan.js'
import { encodeFleetRecord, encodeStateSummary, FLEET_LABEL, STATE_ANNOTATION } from './state.js'
import { definedOnly } from '../defined.js'

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
const EPOCH = new Date('1980-01-01T00:00:01Z')

/** What building needs besides the plan item. */
export interface BuildDeps {
  open: Opener
  builders: Builders
  buildpacks: BuildpackLists
  platform: Platform
  /** Where git repositories are cached (bare, one per URL). */
  gitCache: string
  /** lading's cache directory (run image file lists). */
  cacheHome: string
  sandbox: boolean
  network: boolean
  concurrency?: number
  signal?: AbortSignal
  events?: BuildEvents
}

/** Builds `item` and moves its tag; returns the new digest. */
export async function buildItem(item: PlanItem, d: BuildDeps): Promise<string> {
  const e = item.entry
  const scratch = await mkdtemp(join(tmpdir(), 'lading-fleet-'))
  try {
    let appDir: string
    let project: ProjectMetadata
    if (e.source.kind === 'git') {
      if (!item.commit) throw new LadingError('ERR_FLEET_GIT', 'no commit resolved for this image')
      appDir = await checkoutCommit(e.source.url, item.commit, d.gitCache, join(scratch, 'src'))
      project = { source: gitProjectSource(e.source.url, item.commit, e.source.revision) }
    } else {
      appDir = e.source.path
      project = await readProjectMetadataFile(join(appDir, 'project-metadata.toml')).catch(() => ({}))
    }
    let bp: PreparedBuilder
    if (e.builder) {
      if (!d.builders.prepare) {
        throw new LadingError('ERR_FLEET_BUILDER', `building from a builder image (${e.builder}) needs lading's builder support (lading build --builder), which this lading does not have; declare buildpacks = [...] and run-image instead`)
      }
      bp = await d.builders.prepare(e.builder)
    } else {
      bp = await d.buildpacks.get(e.buildpacks ?? [])
    }
    const appProject = await readProjectFile(join(appDir, 'project.toml')).catch(() => undefined)
    const runName = item.runImage!
    const run = await d.open(runName)
    const target = await d.open(e.tag, { create: true })
    const cacheTarget = e.cacheImage ? await d.open(e.cacheImage, { create: true }) : undefined
    const result = await createImage(definedOnly({
      // Pushed by digest only: the tag moves after the fleet label is on.
      targets: [{ repo: target.repo, tags: [], display: target.display, refs: [] }],
      appDir, appFilter: definedOnly({ include: appProject?.include, exclude: appProject?.exclude }),
      order: bp.order, store: bp.store,
      run: { repo: run.repo, identifier: run.identifier, display: run.display, name: canonicalName(runName), mirrors: [] },
      previous: { repo: target.repo, identifier: target.identifier, display: target.display },
      cache: cacheTarget ? imageCache({ repo: cacheTarget.repo, tag: cacheTarget.tags[0] ?? cacheTarget.identifier, display: cacheTarget.display, mountFrom: [target.repo.name] }) : undefined,
      clearCache: false, platformEnv: { ...bp.platformEnv, ...appProject?.env, ...e.env },
      buildConfigEnvDir: bp.buildConfigEnvDir || undefined, launcher: 'sh' as const, sandbox: d.sandbox, network: d.network,
      buildPath: bp.buildPath ?? DEFAULT_PATH, uid: bp.uid ?? 1000, gid: bp.gid ?? 1000, rootfs: bp.rootfs || undefined,
      created: EPOCH, project, platform: d.platform, concurrency: d.concurrency ?? 4, indexDir: join(d.cacheHome, 'run-index'),
      signal: d.signal,
      // Without the sandbox buildpacks see the real /workspace, /layers, /platform (apply then builds one at a time).
      dirs: d.sandbox ? undefined : { root: '/', workspace: CNB_PATHS.workspace, layers: CNB_PATHS.layers, platform: CNB_PATHS.platform },
    }), d.events ?? {})
    const record = encodeFleetRecord(definedOnly({
      config: item.config, source: item.sourceDigest || undefined,
      builder: item.builder ? { image: item.builder.image, digest: item.builder.digest } : undefined,
    }))
    const built = await fetchImage(target.repo, result.image.digest, { platform: d.platform })
    const labelled = withLabels(built, { [FLEET_LABEL]: record })
    const configDigest = (await labelled.manifest()).config.digest
    const summary = encodeStateSummary(configDigest, (await labelled.config()).config?.Labels ?? {})
    const desc = await pushImage(target.repo, withAnnotations(labelled, { [STATE_ANNOTATION]: summary }), target.tags, { concurrency: d.concurrency ?? 4 })
    return desc.digest
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
