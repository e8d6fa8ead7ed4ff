/** Tag listing (oci-registry.md §1.8): `tags/list?n=1000`, following `Link: <…>; rel="next"`
 * (relative, absolute or opaque), or `last=` when a full page came without a Link; stops on a
 * repeated page.
 */
import { pullScope } from './challenge.js'
import { repoPath, type RepoContext } from './context.js'
import { ProtocolError } from './errors.js'
import { readCapped } from './http.js'
import { appendQuery, nextLink } from './location.js'

/** Page size asked for (ECR rejects more than 1000). */
export const TAG_PAGE_SIZE = 1000
const MAX_PAGES = 10_000

/** Yields every tag of the repository once, in registry order. Unknown repository → NotFoundError. */
export async function* listTags(ctx: RepoContext, signal?: AbortSignal): AsyncGenerator<string> {
  const base = await ctx.session.base(signal)
  let url: string | undefined = `${base}${repoPath(ctx)}/tags/list?n=${TAG_PAGE_SIZE}`
  const seenUrls = new Set<string>()
  const seenTags = new Set<string>()
  for (let page = 0; url && page < MAX_PAGES; page++) {
    if (seenUrls.has(url)) return
    seenUrls.add(url)
    const res = await ctx.session.request({
      method: 'GET', url, scopes: [pullScope(ctx.repository)], ok: [200], what: 'repository', subject: ctx.repository,
      signal,
    })
    const text = await readCapped(res.body, 32 << 20)
    let tags: unknown
    try {
      tags = (JSON.parse(text) as { tags?: unknown }).tags ?? []
    } catch {
      throw new ProtocolError(`tag list of ${ctx.repository} from ${ctx.session.registry} is not valid JSON`, { status: res.status, method: 'GET', url: res.url })
    }
    if (!Array.isArray(tags)) tags = []
    let fresh = 0
    let last: string | undefined
    for (const t of tags as unknown[]) {
      if (typeof t !== 'string') continue
      last = t
      if (seenTags.has(t)) continue
      seenTags.add(t)
      fresh++
      yield t
    }
    const next = nextLink(res.url, res.headers.link)
    if (next) {
      url = next
    } else if ((tags as unknown[]).length >= TAG_PAGE_SIZE && fresh > 0 && last !== undefined) {
      // A full page without Link: ask for what follows the last tag (registries that ignore it repeat the page, and we stop).
      url = appendQuery(`${base}${repoPath(ctx)}/tags/list?n=${TAG_PAGE_SIZE}`, 'last', last)
    } else {
      url = undefined
    }
  }
}
