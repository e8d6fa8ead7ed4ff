import t from 'tap'
import { join } from 'node:path'
import { makeBaseImages, podmanRun, podmanSession, pushBaseImages, startRegistry } from '../../registry-fixtures/index.js'

t.test('runs an image straight from an OCI layout', async (t) => {
  const imgs = await makeBaseImages(join(t.testdir(), 'layout'))
  const r = await podmanRun(imgs.runV1, { args: ['cat', '/run-image-version'] })
  t.same(r, { stdout: 'v1\n', stderr: '', code: 0 })
  const b = await podmanRun(imgs.build, { entrypoint: '/bin/sh', args: ['-c', 'id -u; echo "$CNB_USER_ID $X"; exit 3'], env: { X: 'y' } })
  t.equal(b.code, 3)
  t.equal(b.stdout, '1000\n1000 y\n')
})

t.test('pulls from the http registry and from the TLS registry with credentials', async (t) => {
  const imgs = await makeBaseImages(join(t.testdir(), 'layout'))
  const reg = await startRegistry()
  t.teardown(() => reg.stop())
  const refs = await pushBaseImages(imgs.layout, reg.host)
  t.equal((await podmanRun(refs.runV2, { args: ['cat', '/run-image-version'] })).stdout, 'v2\n')

  const tls = await startRegistry({ variant: 'tls-basic' })
  t.teardown(() => tls.stop())
  const creds = `${tls.username}:${tls.password}`
  const tlsRefs = await pushBaseImages(imgs.layout, tls.host, { creds, certDir: tls.certDir, tlsVerify: true })
  const r = await podmanRun(tlsRefs.runV1, { tlsVerify: true, creds, certDir: tls.certDir, args: ['cat', '/etc/os-release'] })
  t.match(r.stdout, /VERSION_ID=1/)
  await t.rejects(podmanRun(tlsRefs.runV1, { tlsVerify: true, certDir: tls.certDir, args: ['true'] }), { code: 'ERR_FIXTURE_TOOL_FAILED' },
    'no credentials → pull refused')
})

t.test('a session pulls once and runs many times, with bind mounts and the host network', async (t) => {
  const root = t.testdir({ m: { 'msg.txt': 'mounted\n' } })
  const imgs = await makeBaseImages(join(root, 'layout'))
  const dir = join(root, 'm')
  const s = await podmanSession(imgs.runV1)
  t.teardown(() => s.close())
  t.equal((await s.run({ args: ['cat', '/run-image-version'] })).stdout, 'v1\n')
  t.equal((await s.run({ args: ['cat', '/m/msg.txt'], volumes: [`${dir}:/m:ro`] })).stdout, 'mounted\n')
  const lo = await s.run({ args: ['cat', '/sys/class/net/lo/operstate'], network: 'host' })
  t.equal(lo.code, 0, lo.stderr)
})
