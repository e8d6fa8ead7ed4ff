import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { trackDir } from './cleanup.js'
import { runToolOk } from './exec-tool.js'

/** PEM files of the harness TLS material; all paths live in one per-process temp dir. */
export interface TlsMaterial {
  /** Self-signed CA certificate (PEM). */
  caFile: string
  /** Directory holding only `ca.crt` (the layout skopeo/podman `--cert-dir` expect). */
  certDir: string
  /** Server certificate for IP 127.0.0.1 and DNS localhost, signed by the CA. */
  certFile: string
  keyFile: string
}

/** EC P-256 key + self-signed certificate the token issuer signs JWTs with. */
export interface SigningMaterial { certFile: string; keyFile: string }

let baseDir: string | undefined
function dir(): string {
  if (!baseDir) {
    baseDir = mkdtempSync(join(tmpdir(), 'lading-certs-'))
    trackDir(baseDir)
  }
  return baseDir
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

async function makeTls(): Promise<TlsMaterial> {
  const d = dir()
  const certDir = join(d, 'ca')
  mkdirSync(certDir)
  const caFile = join(certDir, 'ca.crt')
  const caKey = join(d, 'ca.key')
  await runToolOk('openssl', ['req', '-x509', ...EC, '-keyout', caKey, '-out', caFile, '-days', '3650',
    '-subj', '/CN=lading test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  const keyFile = join(d, 'server.key')
  const csr = join(d, 'server.csr')
  const certFile = join(d, 'server.crt')
  await runToolOk('openssl', ['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1'])
  const ext = join(d, 'server.ext')
  writeFileSync(ext, [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'))
  await runToolOk('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-CAserial', join(d, 'ca.srl'),
    '-out', certFile, '-days', '3650', '-extfile', ext])
  return { caFile, certDir, certFile, keyFile }
}

async function makeSigning(): Promise<SigningMaterial> {
  const d = dir()
  const keyFile = join(d, 'token.key')
  const certFile = join(d, 'token.crt')
  await runToolOk('openssl', ['req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '3650',
    '-subj', '/CN=lading token issuer'])
  return { certFile, keyFile }
}

let tls: Promise<TlsMaterial> | undefined
let signing: Promise<SigningMaterial> | undefined

/** Returns the per-process TLS CA + server certificate, made with openssl on first use. */
export function tlsMaterial(): Promise<TlsMaterial> {
  tls ??= makeTls()
  return tls
}

/** Returns the per-process token-signing key/certificate, made with openssl on first use. */
export function signingMaterial(): Promise<SigningMaterial> {
  signing ??= makeSigning()
  return signing
}
