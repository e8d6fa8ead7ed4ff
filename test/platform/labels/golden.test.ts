// Golden tests for the three app image labels, built by a fixed build (the hello sample on the
// fixture run image, into an OCI layout): every field, in the lifecycle exporter's key order and
// with what it omits left out (golden/*.json). Digests are replaced by <sha256:N> in order of first
// appearance, so the files hold the shape and the values, not this machine's layer bytes.
import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeBaseImages, SAMPLES } from '../../../registry-fixtures/index.js'
import { runCli } from '../../helpers/cli.js'

const GOLDEN = join(import.meta.dirname, 'golden')

function normalize(label: string, work: string): string {
  const seen = new Map<string, string>()
  const text = label.replaceAll(work, '<work>').replace(/sha256:[0-9a-f]{64}/g, (d) => {
    if (!seen.has(d)) seen.set(d, `<sha256:${seen.size + 1}>`)
    return seen.get(d)!
  })
  return `${JSON.stringify(JSON.parse(text), null, 2)}\n`
}

t.test('the labels of a fixed build match the golden files, field for field', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'lading-golden-'))
  t.teardown(() => rm(work, { recursive: true, force: true }))
  const base = await makeBaseImages(join(work, 'base'))
  const out = `oci:${join(work, 'out')}:app`
  const b = await runCli(['build', out, '--path', SAMPLES.apps.hello, '--buildpacks-dir', SAMPLES.buildpacksDir, '--run-image', base.runV1])
  t.equal(b.code, 0, b.stderr)
  const labels = JSON.parse((await runCli(['config', out])).stdout).config.Labels as Record<string, string>
  for (const [label, file] of [
    ['io.buildpacks.lifecycle.metadata', 'lifecycle-metadata.json'],
    ['io.buildpacks.build.metadata', 'build-metadata.json'],
    ['io.buildpacks.project.metadata', 'project-metadata.json'],
  ] as const) {
    t.equal(normalize(labels[label]!, work), await readFile(join(GOLDEN, file), 'utf8'), label)
    t.equal(labels[label], JSON.stringify(JSON.parse(labels[label]!)), `${label} is compact JSON, as Go's json.Marshal writes it`)
  }
})
