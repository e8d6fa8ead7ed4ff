/** CLI glue for builders and buildpackages: opening images and `.cnb` files named by the user,
 * where new layers and unpacked buildpacks are kept, and a builder made ready for `build`.
 */
import { join } from 'node:path'
import { mkdtemp } from 'node:fs/promises'
import type { CommandContext } from './context.js'
import { hostPlatform } from '../oci/index.js'
import type { Image } from '../image/index.js'
import { fetchImage } from '../remote/index.js'
import { openCnbFile, type SourceContext } from '../distribution/index.js'

/** Fetches the image a user's reference names (`docker://` accepted) for the host platform. */
export async function openImage(ctx: CommandContext, ref: string): Promise<Image> {
  const t = await ctx.target(ref.replace(/^docker:\/\//, ''))
  return fetchImage(t.repo, t.identifier, { platform: hostPlatform(), signal: ctx.signal })
}

/** How distribution code reads sources from the CLI: registry/layout images, .cnb files, a scratch store. */
export async function sourceContext(ctx: CommandContext): Promise<SourceContext> {
  const scratch = await ctx.scratchDir()
  return {
    openImage: (ref) => openImage(ctx, ref),
    openCnb: async (file) => openCnbFile(file, await mkdtemp(join(scratch, 'cnb-')), hostPlatform()),
    storeDir: join(scratch, 'layers'),
  }
}
