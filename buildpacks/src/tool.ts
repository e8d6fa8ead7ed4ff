/** A package-manager tool (yarn classic, yarn berry, npm) fetched from the npm registry into a build+cache layer, verified, reused while its version holds. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import semver from 'semver'
import { BuildpackError, freshLayer, readLayerMetadata, writeLayerToml, type BuildContext } from './cnb.js'
import { download, extractTarball, onRegistry, packument, type RegistryConfig } from './registry.js'

export interface ToolSpec {
  /** Layer name and command name, e.g. `yarn`. */
  name: string
  /** npm package, e.g. `yarn` or `@yarnpkg/cli-dist`. */
  pkg: string
  /** Version or range. */
  range: string
  /** Where the range came from, for messages. */
  source: string
  /** The JS entry inside the package, e.g. `bin/yarn.js`. */
  entry: string
}

/** Installs (or reuses) the tool; returns its version and the layer's bin directory. */
export async function ensureTool(ctx: BuildContext, reg: RegistryConfig, spec: ToolSpec): Promise<{ version: string; bin: string }> {
  const doc = await packument(spec.pkg, reg)
  const versions = Object.keys(doc.versions ?? {}).filter((v) => !semver.prerelease(v))
  const range = semver.validRange(spec.range)
  const version = range ? semver.maxSatisfying(versions, range) : undefined
  if (!version) throw new BuildpackError(`no ${spec.pkg} release matches ${JSON.stringify(spec.range)} (from ${spec.source}) on ${reg.url}`)
  const meta = doc.versions[version]!
  const integrity = meta.dist.integrity ?? ''
  const layer = join(ctx.layersDir, spec.name)
  const old = readLayerMetadata(ctx.layersDir, spec.name)
  if (old.version === version && old.integrity === integrity && existsSync(join(layer, 'dist', spec.entry))) {
    ctx.log(`reusing ${spec.pkg} ${version}`)
  } else {
    const dir = freshLayer(ctx.layersDir, spec.name)
    const tmp = mkdtempSync(join(tmpdir(), `${spec.name}-`))
    try {
      const tgz = join(tmp, 'tool.tgz')
      const url = onRegistry(meta.dist.tarball, reg)
      ctx.log(`downloading ${spec.pkg} ${version} (${spec.range} from ${spec.source}): ${url}`)
      await download(url, tgz, integrity, reg)
      mkdirSync(join(dir, 'dist'))
      extractTarball(tgz, join(dir, 'dist'))
    } finally {
      rmSync(tmp, { recursive: true, force: true })
    }
    mkdirSync(join(dir, 'bin'))
    const shim = join(dir, 'bin', spec.name)
    writeFileSync(shim, `#!/bin/sh\nexec node "${join(dir, 'dist', spec.entry)}" "$@"\n`)
    chmodSync(shim, 0o755)
  }
  writeLayerToml(ctx.layersDir, spec.name, { launch: false, build: true, cache: true }, { version, integrity })
  return { version, bin: join(layer, 'bin') }
}
