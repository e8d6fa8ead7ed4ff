/**
 * The build environment that carries this machine's npm configuration into the sandbox, where the
 * user's ~/.npmrc is hidden: NPM_CONFIG_REGISTRY from `npm config get registry`, and NPM_CONFIG_CA
 * with the certificates npm's cafile trusts beyond Node's built-in ones (a TLS-intercepting proxy's CA).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'

function npmConfig(key: string): string | undefined {
  try {
    const v = execFileSync('npm', ['config', 'get', key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    return v === '' || v === 'null' || v === 'undefined' ? undefined : v
  } catch {
    return undefined
  }
}

const norm = (pem: string): string => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')

/** PEM certificates of `bundle` that Node does not already trust. */
export function extraCertificates(bundle: string): string[] {
  const known = new Set(rootCertificates.map(norm))
  const certs = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  return certs.filter((c) => !known.has(norm(c)))
}

/** `{NPM_CONFIG_REGISTRY, NPM_CONFIG_CA?}` for builds on this machine. */
export function npmBuildEnv(): Record<string, string> {
  const registry = npmConfig('registry')
  if (!registry) throw new Error('npm config get registry gave nothing: configure an npm registry first')
  const env: Record<string, string> = { NPM_CONFIG_REGISTRY: registry }
  const cafile = npmConfig('cafile')
  if (cafile && existsSync(cafile)) {
    const extra = extraCertificates(readFileSync(cafile, 'utf8'))
    if (extra.length > 0) env.NPM_CONFIG_CA = `${extra.join('\n')}\n`
  }
  return env
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  for (const [k, v] of Object.entries(npmBuildEnv())) process.stdout.write(`${k}=${JSON.stringify(v)}\n`)
}
