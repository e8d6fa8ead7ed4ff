/** Opens an image reference (registry or `oci:DIR[:TAG]`) for the stack and builder scripts, the way lading's CLI does. */
import { isLayoutReference, openLayout, parseLayoutReference } from '../lib/layout/index.js'
import { parseReference, type Repository } from '../lib/oci/index.js'
import { createRegistryClient } from '../lib/registry/index.js'

export interface StoreTarget { repo: Repository; identifier: string; tags: string[]; close(): Promise<void> }

/** A repository for `ref` plus the tag(s) to write; close() releases the registry client. */
export async function openTarget(ref: string, insecureRegistries: string[] = []): Promise<StoreTarget> {
  if (isLayoutReference(ref)) {
    const { dir, tag } = parseLayoutReference(ref)
    const repo = await openLayout(dir, { create: true })
    const identifier = tag ?? 'latest'
    return { repo, identifier, tags: [identifier], close: async () => {} }
  }
  const client = createRegistryClient({ insecureRegistries, userAgent: 'lading-stacks/0.1' })
  const r = parseReference(ref)
  return { repo: client.repository(r), identifier: r.identifier(), tags: r.tag ? [r.tag] : ['latest'], close: () => client.close() }
}
