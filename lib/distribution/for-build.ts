/** What `lading build --builder` takes from a builder (cnb-spec.md §8.3): the order (label, else
 * /cnb/order.toml), the buildpack layers the order reaches, the run images (images, else
 * stack.runImage, else /cnb/run.toml or /cnb/stack.toml), the build user, and the env files of
 * /platform/env and /cnb/build-config/env from its unpacked root filesystem.
 */
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Image } from '../image/index.js'
import { readRunFile } from '../platform/index.js'
import type { OrderGroupJson, RunImageJson } from './labels.js'
import { builderOrder, readDistributionImage, resolveOrder, type DistributionImage, type ReachedModule } from './read-image.js'
import { definedOnly } from '../defined.js'

/** A builder, read for a build: nothing but its manifest and config (and, rarely, /cnb/order.toml) fetched. */
export interface BuilderForBuild {
  builder: DistributionImage
  order: OrderGroupJson[]
  /** Every buildpack the order reaches. */
  modules: ReachedModule[]
  /** diffIDs of every buildpack layer: left out of the root filesystem, fetched on their own. */
  buildpackDiffIds: Set<string>
}

/** Reads a builder for a build; throws when it is not one or its order names a buildpack it lacks. */
export async function readBuilderForBuild(image: Image, what: string): Promise<BuilderForBuild> {
  const builder = await readDistributionImage(image, what, 'builder')
  const order = await builderOrder(builder)
  const modules = resolveOrder(builder.layers, order, what)
  const buildpackDiffIds = new Set(Object.values(builder.layers).flatMap((vs) => Object.values(vs).map((i) => i.layerDiffID)))
  return { builder, order, modules, buildpackDiffIds }
}

/** The builder's run images: metadata `images`, else `stack.runImage`, else its /cnb/run.toml or /cnb/stack.toml. */
export async function builderRunImages(b: DistributionImage, rootfs?: string): Promise<RunImageJson[]> {
  const md = b.builder
  const images = (md?.images ?? []).filter((i) => i.image)
  if (images.length) return images
  if (md?.stack.runImage.image) return [md.stack.runImage]
  if (!rootfs) return []
  return (await readRunFile(join(rootfs, 'cnb/run.toml'), join(rootfs, 'cnb/stack.toml'))).images
}

/** /platform/env of an unpacked builder as NAME → value, and its /cnb/build-config/env dir when it has one. */
export async function builderEnv(rootfs: string): Promise<{ platformEnv: Record<string, string>; buildConfigEnvDir?: string }> {
  const platformEnv: Record<string, string> = {}
  const envDir = join(rootfs, 'platform/env')
  for (const name of (await readdir(envDir).catch(() => [])).sort()) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue
    if (!(await stat(join(envDir, name))).isFile()) continue
    platformEnv[name] = await readFile(join(envDir, name), 'utf8')
  }
  const bc = join(rootfs, 'cnb/build-config/env')
  const hasBc = (await readdir(bc).catch(() => [])).length > 0
  return definedOnly({ platformEnv, buildConfigEnvDir: hasBc ? bc : undefined })
}
