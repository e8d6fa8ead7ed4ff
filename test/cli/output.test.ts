import t from 'tap'
import { PassThrough } from 'node:stream'
import { Output, formatBytes, formatRate } from '../../lib/cli/output.js'
import { sha256 } from '../../lib/digest/index.js'

function io(tty = false) {
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), { isTTY: tty })
  let out = '', err = ''
  stdout.on('data', (d) => (out += d))
  stderr.on('data', (d) => (err += d))
  return { io: { stdout, stderr }, out: () => out, err: () => err }
}

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(12), '12 B')
  t.equal(formatBytes(1536), '1.5 KiB')
  t.equal(formatBytes(512 * 2 ** 20), '512.0 MiB')
  t.equal(formatBytes(1023.96), '1.0 KiB')
})

t.test('a transfer rate never prints a raw fraction (81.34130146082337 B/s)', async (t) => {
  t.equal(formatRate(81.34130146082337, 1), '81 B/s')
  t.equal(formatRate(1.2 * 2 ** 20, 1), '1.2 MiB/s')
  t.equal(formatRate(100, 3), '33 B/s')
  t.equal(formatRate(5, 0), '4.9 KiB/s', 'zero seconds counts as a millisecond')
  const s = io(false)
  const o = new Output(s.io, {})
  const d = sha256('r')
  o.progress({ digest: d, kind: 'upload', bytes: 7, total: 245 })
  o.progress({ digest: d, kind: 'upload', bytes: 245, total: 245, done: true })
  t.match(s.err(), /\((\d+ B|\d+\.\d [KMG]iB)\/s\)/)
  t.notMatch(s.err(), /\d\.\d{2,} B\/s/)
})

t.test('plain mode: one line per finished blob, data on stdout', async (t) => {
  const s = io(false)
  const o = new Output(s.io, {})
  const d = sha256('x')
  o.progress({ digest: d, kind: 'upload', bytes: 10, total: 20 })
  o.progress({ digest: d, kind: 'upload', bytes: 20, total: 20, done: true })
  o.progress({ digest: sha256('y'), kind: 'mount', bytes: 0, total: 5 })
  o.data('sha256:abc\n')
  const lines = s.err().trim().split('\n')
  t.equal(lines.length, 2)
  t.match(lines[0], /pushed 20 B/)
  t.match(lines[1], /mounted/)
  t.equal(s.out(), 'sha256:abc\n')
})

t.test('a resumed upload says how much this run sent, of the whole blob', async (t) => {
  const s = io(false)
  const o = new Output(s.io, {})
  o.progress({ digest: sha256('x'), kind: 'upload', bytes: 25 << 20, total: 256 << 20, done: true })
  t.match(s.err(), /pushed 25\.0 MiB of 256\.0 MiB \([^;]+; the rest was in an interrupted run's upload session\)/)
})

t.test('quiet drops info and progress but keeps data and warnings', async (t) => {
  const s = io(true)
  const o = new Output(s.io, { quiet: true })
  o.info('hello')
  o.progress({ digest: sha256('x'), kind: 'upload', bytes: 1, total: 2 })
  o.warn('careful')
  o.data('d')
  t.equal(s.err(), 'warning: careful\n')
  t.equal(s.out(), 'd')
})

t.test('tty mode redraws live lines with rates', async (t) => {
  const s = io(true)
  const o = new Output(s.io, {})
  o.progress({ digest: sha256('x'), kind: 'upload', bytes: 1024, total: 4096 })
  t.match(s.err(), /pushing 1\.0 KiB \/ 4\.0 KiB/)
})
