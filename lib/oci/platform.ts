/** Platforms: normalisation, matching and selection from an index (oci-registry.md §3.7,
 * containerd/platforms `database.go`).
 */
import { InvalidManifestError, NoMatchingPlatformError } from './errors.js'
import type { Descriptor, ImageIndex, Platform } from './types.js'

/**
 * Returns `p` in canonical form: os lower case (`macos` → `darwin`); arch `x86_64`/`x86-64` →
 * `amd64`, `aarch64` → `arm64`, `armhf` → `arm/v7`, `armel` → `arm/v6`, `i386` → `386`; variant
 * `v8`/`8` of arm64 and `v1` of amd64 dropped (they are the defaults); arm without variant → `v7`.
 * Fields other than os/architecture/variant are copied unchanged.
 */
export function normalizePlatform(p: Platform): Platform {
  let os = p.os.toLowerCase()
  if (os === 'macos') os = 'darwin'
  let arch = p.architecture.toLowerCase()
  let variant = (p.variant ?? '').toLowerCase()
  switch (arch) {
    case 'x86_64': case 'x86-64': case 'amd64':
      arch = 'amd64'
      if (variant === 'v1') variant = ''
      break
    case 'aarch64': case 'arm64':
      arch = 'arm64'
      if (variant === 'v8' || variant === '8') variant = ''
      break
    case 'armhf': arch = 'arm'; variant = 'v7'; break
    case 'armel': arch = 'arm'; variant = 'v6'; break
    case 'arm':
      if (variant === '') variant = 'v7'
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`
      break
    case 'i386': case 'i686': arch = '386'; break
  }
  const out: Platform = { architecture: arch, os }
  if (variant) out.variant = variant
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version']
  if (p['os.features'] !== undefined) out['os.features'] = p['os.features']
  return out
}

/**
 * Parses `os/arch[/variant]` (e.g. `linux/arm64/v8`) into a normalised Platform. Throws
 * InvalidManifestError (field `platform`) for anything else.
 */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/')
  if (parts.length < 2 || parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw new InvalidManifestError('platform', `${JSON.stringify(s)} is not os/arch[/variant]`)
  }
  const p: Platform = { os: parts[0]!, architecture: parts[1]! }
  if (parts[2]) p.variant = parts[2]
  return normalizePlatform(p)
}

/** `os/arch[/variant]` of `p` as given (not normalised). */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`
}

/**
 * True when `have` satisfies `want` after normalising both: same os, architecture and variant;
 * `os.version` must be equal when wanted; every wanted `os.features` entry must be present.
 * With `anyVariant`, a want without variant accepts any variant (the selection fallback).
 */
export function platformMatches(want: Platform, have: Platform, anyVariant = false): boolean {
  const w = normalizePlatform(want)
  const h = normalizePlatform(have)
  if (w.os !== h.os || w.architecture !== h.architecture) return false
  if ((w.variant ?? '') !== (h.variant ?? '') && !(anyVariant && !w.variant)) return false
  if (w['os.version'] !== undefined && w['os.version'] !== h['os.version']) return false
  if (w['os.features']?.some((f) => !h['os.features']?.includes(f))) return false
  return true
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64',
  loong64: 'loong64', mips: 'mips', mipsel: 'mipsle',
}

/**
 * The platform images for this machine should have: always `linux` (containers run Linux
 * images even when built from macOS), architecture from Node's `arch` (default `process.arch`);
 * for `arm` the variant is `v<armVersion>` (default from Node's build config, else v7).
 */
export function hostPlatform(arch: string = process.arch, armVersion?: string): Platform {
  const architecture = NODE_ARCH[arch] ?? arch
  if (architecture !== 'arm') return { architecture, os: 'linux' }
  const v = armVersion ?? String((process.config.variables as Record<string, unknown>).arm_version ?? '7')
  return normalizePlatform({ architecture, os: 'linux', variant: `v${v.replace(/^v/, '')}` })
}

/** True for BuildKit attestation entries and entries with an `unknown` platform. */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    d.platform?.os === 'unknown' || d.platform?.architecture === 'unknown'
}

/**
 * The first entry of `index` whose platform matches `want` exactly (after normalisation), else
 * the first whose platform matches ignoring variant when `want` has none; undefined when none.
 * Entries without a platform and attestation entries are skipped.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((d) => d.platform && !isAttestation(d))
  return candidates.find((d) => platformMatches(want, d.platform!)) ??
    candidates.find((d) => platformMatches(want, d.platform!, true))
}

/** The platforms `index` offers (attestations skipped), formatted `os/arch[/variant]`. */
export function availablePlatforms(index: ImageIndex): string[] {
  return index.manifests.filter((d) => d.platform && !isAttestation(d)).map((d) => formatPlatform(d.platform!))
}

/** Like selectManifest, but throws NoMatchingPlatformError listing the available platforms. */
export function requireManifest(index: ImageIndex, want: Platform): Descriptor {
  const d = selectManifest(index, want)
  if (!d) throw new NoMatchingPlatformError(formatPlatform(normalizePlatform(want)), availablePlatforms(index))
  return d
}
