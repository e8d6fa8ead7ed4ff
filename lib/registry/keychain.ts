/** Where registry credentials come from (oci-registry.md §2.5): CNB_REGISTRY_AUTH, DOCKER_AUTH_CONFIG,
 * the Docker config file (auths, credHelpers, credsStore). The only registry module that reads
 * process.env. Secrets are never put into error messages.
 */
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { LadingError } from '../errors.js'
import { runCredentialHelper } from './credential-helper.js'

import type { Credential } from './credential.js'

export type { Credential }

/** Resolves credentials for a registry host (`docker.io`, `host:port`); undefined = anonymous. */
export interface Keychain { resolve(registry: string): Promise<Credential | undefined> }

/** A credentials source is malformed (bad JSON, bad base64). The message never quotes the secret. */
export class CredentialConfigError extends LadingError {
  constructor(message: string, cause?: unknown) {
    super('ERR_REGISTRY_CREDENTIALS_INVALID', message, cause === undefined ? undefined : { cause })
  }
}

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
/** The Docker config key (and helper server URL) for Docker Hub. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'

/** True for Docker Hub's aliases. */
export function isDockerHub(registry: string): boolean {
  return HUB_HOSTS.has(registry.toLowerCase())
}

/** The host to send API requests to: `docker.io` → `registry-1.docker.io`; others unchanged. */
export function dockerHubApiHost(registry: string): string {
  return isDockerHub(registry) ? 'registry-1.docker.io' : registry
}

/** Strips scheme and path from a config key (docker/cli ConvertToHostname). */
export function hostnameOfKey(key: string): string {
  let s = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const slash = s.indexOf('/')
  if (slash >= 0) s = s.slice(0, slash)
  return s.toLowerCase()
}

function candidateHosts(registry: string): string[] {
  return isDockerHub(registry) ? [...HUB_HOSTS] : [registry.toLowerCase()]
}

/** Finds the entry for `registry` in a keyed map: exact key first, then by hostname. */
export function lookupKey<T>(map: Record<string, T> | undefined, registry: string): [string, T] | undefined {
  if (!map) return undefined
  const exact = isDockerHub(registry) ? [DOCKER_HUB_KEY, ...HUB_HOSTS] : [registry]
  for (const k of exact) if (Object.hasOwn(map, k)) return [k, map[k] as T]
  const hosts = candidateHosts(registry)
  for (const [k, v] of Object.entries(map)) if (hosts.includes(hostnameOfKey(k))) return [k, v]
  return undefined
}

/** The subset of Docker's config.json we read. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; registrytoken?: string; username?: string; password?: string }>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** Decodes `base64(user:password)`; undefined when the user is empty. Throws on garbage without echoing it. */
export function decodeBasic(b64: string, where: string): { username: string; password: string } | undefined {
  const text = Buffer.from(b64.trim(), 'base64').toString('utf8').replace(/\0+$/, '')
  const i = text.indexOf(':')
  if (i < 0) throw new CredentialConfigError(`invalid auth value for ${where}: expected base64 of "user:password"`)
  const username = text.slice(0, i)
  if (!username) return undefined
  return { username, password: text.slice(i + 1) }
}

/**
 * A keychain over a parsed Docker config: `credHelpers[host]` wins over `credsStore`, which wins
 * over `auths`. Helper answers are cached per registry for the keychain's lifetime.
 */
export function configKeychain(load: () => Promise<DockerConfig | undefined>, source: string): Keychain {
  let config: Promise<DockerConfig | undefined> | undefined
  const cache = new Map<string, Promise<Credential | undefined>>()
  const resolveOne = async (registry: string): Promise<Credential | undefined> => {
    const cfg = await (config ??= load())
    if (!cfg) return undefined
    const serverUrl = isDockerHub(registry) ? DOCKER_HUB_KEY : registry
    const helper = lookupKey(cfg.credHelpers, registry)?.[1] ?? cfg.credsStore
    if (helper) return runCredentialHelper(helper, serverUrl)
    const entry = lookupKey(cfg.auths, registry)
    if (!entry) return undefined
    const [key, a] = entry
    if (a.registrytoken) return { registryToken: a.registrytoken }
    if (a.identitytoken) return { identityToken: a.identitytoken }
    if (a.auth) return decodeBasic(a.auth, `${key} in ${source}`)
    if (a.username) return { username: a.username, password: a.password ?? '' }
    return undefined
  }
  return {
    resolve(registry) {
      let p = cache.get(registry)
      if (!p) {
        p = resolveOne(registry)
        cache.set(registry, p)
        p.catch(() => cache.delete(registry))
      }
      return p
    },
  }
}

function parseConfig(text: string, source: string): DockerConfig {
  try {
    const v = JSON.parse(text) as unknown
    if (!v || typeof v !== 'object') throw new Error('not an object')
    return v as DockerConfig
  } catch (err) {
    throw new CredentialConfigError(`cannot parse ${source}: not valid JSON; fix or remove it`, err instanceof SyntaxError ? undefined : err)
  }
}

/** Credentials from `<configDir>/config.json` (default `$DOCKER_CONFIG` or `~/.docker`). A missing file means anonymous. */
export function dockerConfigKeychain(opts: { configDir?: string } = {}): Keychain {
  const dir = opts.configDir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
  const file = join(dir, 'config.json')
  return configKeychain(async () => {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new CredentialConfigError(`cannot read docker config ${file}`, err)
    }
    return parseConfig(text, file)
  }, file)
}

/** Credentials from `DOCKER_AUTH_CONFIG` (a whole config.json as JSON text), as recent docker CLI reads. */
export function dockerAuthConfigKeychain(env: NodeJS.ProcessEnv = process.env): Keychain {
  const text = env.DOCKER_AUTH_CONFIG
  return configKeychain(async () => (text ? parseConfig(text, 'DOCKER_AUTH_CONFIG') : undefined), 'DOCKER_AUTH_CONFIG')
}

/**
 * Credentials from `CNB_REGISTRY_AUTH`: JSON `{"<registry>": "<Authorization header value>"}`.
 * `Basic <b64>` becomes user/password (so token exchange works); `Bearer <t>` a registry token.
 */
export function envKeychain(env: NodeJS.ProcessEnv = process.env): Keychain {
  let parsed: Record<string, string> | undefined
  const load = (): Record<string, string> => {
    if (parsed) return parsed
    const text = env.CNB_REGISTRY_AUTH
    if (!text) return (parsed = {})
    try {
      const v = JSON.parse(text) as unknown
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object')
      parsed = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => typeof x === 'string')) as Record<string, string>
      return parsed
    } catch (err) {
      throw new CredentialConfigError('cannot parse CNB_REGISTRY_AUTH: expected JSON {"<registry>": "<Authorization header value>"}',
        err instanceof SyntaxError ? undefined : err)
    }
  }
  return {
    async resolve(registry) {
      const hit = lookupKey(load(), registry)
      if (!hit) return undefined
      const value = hit[1].trim()
      const sp = value.indexOf(' ')
      const scheme = (sp < 0 ? '' : value.slice(0, sp)).toLowerCase()
      const rest = sp < 0 ? value : value.slice(sp + 1).trim()
      if (scheme === 'basic') return decodeBasic(rest, `${hit[0]} in CNB_REGISTRY_AUTH`)
      if (scheme === 'bearer') return { registryToken: rest }
      throw new CredentialConfigError(`unsupported auth scheme for ${hit[0]} in CNB_REGISTRY_AUTH: expected "Basic …" or "Bearer …"`)
    },
  }
}

/** A fixed map registry → credential (keys matched like Docker config keys). */
export function staticKeychain(map: Record<string, Credential>): Keychain {
  return { resolve: async (registry) => lookupKey(map, registry)?.[1] }
}

/** The first keychain that returns a credential wins. */
export function chainKeychain(...keychains: Keychain[]): Keychain {
  return {
    async resolve(registry) {
      for (const k of keychains) {
        const c = await k.resolve(registry)
        if (c) return c
      }
      return undefined
    },
  }
}

/** CNB_REGISTRY_AUTH, then DOCKER_AUTH_CONFIG, then the Docker config file; else anonymous. */
export function defaultKeychain(): Keychain {
  return chainKeychain(envKeychain(), dockerAuthConfigKeychain(), dockerConfigKeychain())
}

/** Every secret string inside a credential, for scrubbing text. */
export function credentialSecrets(c: Credential | undefined): string[] {
  if (!c) return []
  if ('password' in c) return [c.password, Buffer.from(`${c.username}:${c.password}`).toString('base64')]
  if ('identityToken' in c) return [c.identityToken]
  return [c.registryToken]
}
