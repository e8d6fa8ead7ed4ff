/** Names of every `io.buildpacks.*` label the platform reads or writes (cnb-spec.md §4.4, §8),
 * and the base-image label selection the exporter inherits from the run image.
 */

/** Label names, grouped by who writes them. */
export const LABELS = {
  // Written by the exporter on app images (§4.4).
  LIFECYCLE_METADATA: 'io.buildpacks.lifecycle.metadata',
  BUILD_METADATA: 'io.buildpacks.build.metadata',
  PROJECT_METADATA: 'io.buildpacks.project.metadata',
  EXEC_ENV: 'io.buildpacks.exec-env',
  // Cache images (§5.3).
  CACHE_METADATA: 'io.buildpacks.lifecycle.cache.metadata',
  // Base (run/build) images (§4.4).
  REBASABLE: 'io.buildpacks.rebasable',
  BASE_ID: 'io.buildpacks.base.id',
  BASE_MAINTAINER: 'io.buildpacks.base.maintainer',
  BASE_HOMEPAGE: 'io.buildpacks.base.homepage',
  BASE_RELEASED: 'io.buildpacks.base.released',
  BASE_DESCRIPTION: 'io.buildpacks.base.description',
  BASE_METADATA: 'io.buildpacks.base.metadata',
  BASE_DISTRO_NAME: 'io.buildpacks.base.distro.name',
  BASE_DISTRO_VERSION: 'io.buildpacks.base.distro.version',
  // Deprecated since Platform 0.12, still read.
  STACK_ID: 'io.buildpacks.stack.id',
  STACK_MIXINS: 'io.buildpacks.stack.mixins',
  STACK_MAINTAINER: 'io.buildpacks.stack.maintainer',
  STACK_HOMEPAGE: 'io.buildpacks.stack.homepage',
  STACK_DISTRO_NAME: 'io.buildpacks.stack.distro.name',
  STACK_DISTRO_VERSION: 'io.buildpacks.stack.distro.version',
  STACK_RELEASED: 'io.buildpacks.stack.released',
  STACK_DESCRIPTION: 'io.buildpacks.stack.description',
  STACK_METADATA: 'io.buildpacks.stack.metadata',
  // Buildpackages, builders and the lifecycle image (§8).
  BUILDPACKAGE_METADATA: 'io.buildpacks.buildpackage.metadata',
  BUILDPACK_LAYERS: 'io.buildpacks.buildpack.layers',
  EXTENSION_LAYERS: 'io.buildpacks.extension.layers',
  EXTENSION_METADATA: 'io.buildpacks.extension.metadata',
  BUILDER_METADATA: 'io.buildpacks.builder.metadata',
  BUILDPACK_ORDER: 'io.buildpacks.buildpack.order',
  BUILDPACK_ORDER_EXTENSIONS: 'io.buildpacks.buildpack.order-extensions',
  BUILDPACK_SYSTEM: 'io.buildpacks.buildpack.system',
  LIFECYCLE_VERSION: 'io.buildpacks.lifecycle.version',
  LIFECYCLE_APIS: 'io.buildpacks.lifecycle.apis',
} as const

/** True for labels that describe the base image: `io.buildpacks.base.*` and `io.buildpacks.stack.*`. */
export function isBaseImageLabel(name: string): boolean {
  return name.startsWith('io.buildpacks.base.') || name.startsWith('io.buildpacks.stack.')
}

/**
 * Returns the base-image labels of `labels` (`io.buildpacks.base.*`, `io.buildpacks.stack.*` and
 * `io.buildpacks.rebasable`), keys sorted, for copying from a run image onto an app image.
 * A null/undefined input (a config without Labels) gives {}.
 */
export function baseImageLabels(labels: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!labels) return out
  for (const k of Object.keys(labels).sort()) {
    if (isBaseImageLabel(k) || k === LABELS.REBASABLE) out[k] = labels[k]!
  }
  return out
}
