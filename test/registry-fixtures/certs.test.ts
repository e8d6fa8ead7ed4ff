import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { runTool, signingMaterial, tlsMaterial } from '../../registry-fixtures/index.js'

t.test('TLS material: CA-signed server cert for 127.0.0.1 and localhost; cached', async (t) => {
  const m = await tlsMaterial()
  t.equal(await tlsMaterial(), m, 'same object on the second call')
  const ca = new X509Certificate(readFileSync(m.caFile))
  const cert = new X509Certificate(readFileSync(m.certFile))
  t.ok(ca.ca, 'CA cert is a CA')
  t.ok(cert.verify(ca.publicKey), 'server cert signed by the CA')
  t.equal(cert.checkIP('127.0.0.1'), '127.0.0.1')
  t.equal(cert.checkHost('localhost'), 'localhost')
  t.same(readdirSync(m.certDir), ['ca.crt'], 'cert dir holds only ca.crt')
  const v = await runTool('openssl', ['verify', '-CAfile', m.caFile, m.certFile])
  t.equal(v.code, 0, v.stderr)
})

t.test('signing material: EC P-256 self-signed certificate', async (t) => {
  const s = await signingMaterial()
  const cert = new X509Certificate(readFileSync(s.certFile))
  t.equal(cert.publicKey.asymmetricKeyType, 'ec')
  t.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1')
  t.ok(cert.verify(cert.publicKey), 'self-signed')
})
