import t from 'tap'
import { InvalidReferenceError, parseReference, repositoryString, withDigest, withTag } from '../../lib/oci/index.js'
import { sha256 } from '../../lib/digest/index.js'

const D = sha256('x')
const HEX = D.slice(7)

t.test('valid references normalise like Docker', async (t) => {
  const cases: [string, string, string, string | undefined, string | undefined, string][] = [
    // input, registry, repository, tag, digest, toString
    ['ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'docker.io/library/ubuntu'],
    ['ubuntu:22.04', 'docker.io', 'library/ubuntu', '22.04', undefined, 'docker.io/library/ubuntu:22.04'],
    ['paketobuildpacks/builder', 'docker.io', 'paketobuildpacks/builder', undefined, undefined, 'docker.io/paketobuildpacks/builder'],
    ['docker.io/ubuntu', 'docker.io', 'library/ubuntu', undefined, undefined, 'docker.io/library/ubuntu'],
    ['index.docker.io/ubuntu:1', 'docker.io', 'library/ubuntu', '1', undefined, 'docker.io/library/ubuntu:1'],
    ['index.docker.io/foo/bar', 'docker.io', 'foo/bar', undefined, undefined, 'docker.io/foo/bar'],
    ['docker.io/library/ubuntu:latest', 'docker.io', 'library/ubuntu', 'latest', undefined, 'docker.io/library/ubuntu:latest'],
    ['localhost/foo', 'localhost', 'foo', undefined, undefined, 'localhost/foo'],
    ['localhost:5000/foo/bar:v1', 'localhost:5000', 'foo/bar', 'v1', undefined, 'localhost:5000/foo/bar:v1'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app', undefined, undefined, '127.0.0.1:5000/app'],
    ['[::1]:5000/app:t', '[::1]:5000', 'app', 't', undefined, '[::1]:5000/app:t'],
    ['[fe80::1]/app', '[fe80::1]', 'app', undefined, undefined, '[fe80::1]/app'],
    ['ghcr.io/org/team/app', 'ghcr.io', 'org/team/app', undefined, undefined, 'ghcr.io/org/team/app'],
    ['Registry/app', 'Registry', 'app', undefined, undefined, 'Registry/app'],
    ['gcr.io/a_b/c__d/e-f/g--h.i', 'gcr.io', 'a_b/c__d/e-f/g--h.i', undefined, undefined, 'gcr.io/a_b/c__d/e-f/g--h.i'],
    [`ubuntu@${D}`, 'docker.io', 'library/ubuntu', undefined, D, `docker.io/library/ubuntu@${D}`],
    [`quay.io/a/b:t@${D}`, 'quay.io', 'a/b', 't', D, `quay.io/a/b:t@${D}`],
    ['a:_tag.-X', 'docker.io', 'library/a', '_tag.-X', undefined, 'docker.io/library/a:_tag.-X'],
    [`x${HEX}`, 'docker.io', `library/x${HEX}`, undefined, undefined, `docker.io/library/x${HEX}`],
  ]
  for (const [input, registry, repository, tag, digest, str] of cases) {
    const r = parseReference(input)
    t.same({ registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest }, { registry, repository, tag, digest }, input)
    t.equal(r.toString(), str, `${input} toString`)
    t.equal(String(r), str, `${input} String()`)
    t.equal(r.name(), `${registry}/${repository}`, `${input} name`)
    t.equal(r.identifier(), digest ?? tag ?? 'latest', `${input} identifier`)
    // Canonical form round-trips.
    t.equal(parseReference(str).toString(), str, `${input} round-trip`)
  }
})

t.test('invalid references say what is wrong and quote the input', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['Foo/Bar', /^invalid reference "Foo\/Bar": repository path must be lowercase$/],
    ['Ubuntu', /must be lowercase/],
    ['docker.io/Library/ubuntu', /must be lowercase/],
    [HEX, /image ID/],
    ['ubuntu:', /tag ""/],
    ['ubuntu:-bad', /tag "-bad"/],
    [`ubuntu:${'a'.repeat(129)}`, /tag/],
    ['ubuntu@sha256:abc', /digest/],
    ['ubuntu@', /digest/],
    ['name@md5:abc', /digest algorithm "md5" is not supported/],
    [`ubuntu@sha384:${'0'.repeat(96)}`, /not supported/],
    ['a//b', /path component ""/],
    ['a/b/', /path component ""/],
    ['-a/b', /path component "-a"/],
    ['a/b_', /path component "b_"/],
    ['a/b...c', /path component/],
    ['ghcr.io/', /repository path is empty/],
    ['ghcr.io:port/x', /port "port"/],
    ['[zz]:5000/x', /IPv6/],
    ['my_host.io/x', /registry "my_host.io"/],
    ['has space', /whitespace/],
    [`ghcr.io/${'a/'.repeat(124)}abc`, /longer than 255/],
    [':tag', /empty/],
  ]
  for (const [input, re] of cases) {
    let err: unknown
    try {
      parseReference(input)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof InvalidReferenceError, `${input}: InvalidReferenceError`)
    const e = err as InvalidReferenceError
    t.equal(e.code, 'ERR_REFERENCE_INVALID')
    t.ok(e.message.startsWith(`invalid reference ${JSON.stringify(input)}: `), `${input}: quotes input: ${e.message}`)
    t.match(e.message, re, input)
  }
})

t.test('255 characters of host + path are allowed', async (t) => {
  const path = 'a'.repeat(255 - 'ghcr.io/'.length)
  t.equal(parseReference(`ghcr.io/${path}`).repository, path)
})

t.test('withTag, withDigest, repositoryString', async (t) => {
  const r = parseReference(`ghcr.io/a/b:old@${D}`)
  const tagged = withTag(r, 'new')
  t.equal(tagged.toString(), 'ghcr.io/a/b:new')
  t.equal(tagged.identifier(), 'new')
  t.equal(r.toString(), `ghcr.io/a/b:old@${D}`, 'input unchanged')
  const pinned = withDigest(parseReference('ghcr.io/a/b:t'), D)
  t.equal(pinned.toString(), `ghcr.io/a/b:t@${D}`)
  t.equal(pinned.identifier(), D)
  t.equal(repositoryString(pinned), 'ghcr.io/a/b')
  t.throws(() => withTag(r, 'bad tag'), { code: 'ERR_REFERENCE_INVALID' })
  t.throws(() => withDigest(r, 'sha256:zz' as never), { code: 'ERR_REFERENCE_INVALID' })
})
