/** How the fleet opens an image name: the caller (the CLI) knows registries, credentials and layouts. */
import type { Repository } from '../oci/index.js'

/** An opened image name. */
export interface Opened {
  repo: Repository
  /** Tag or digest to read. */
  identifier: string
  /** Tags to write. */
  tags: string[]
  display: string
  /** Registry host ('' for an OCI layout). */
  registry: string
  /** The full references a write produces (`registry/repo:tag`). */
  refs: string[]
}

/** Opens `name`; `create` for destinations (an OCI layout is created). */
export type Opener = (name: string, opts?: { create?: boolean }) => Promise<Opened>
