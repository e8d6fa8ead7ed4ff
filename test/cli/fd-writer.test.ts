import t from 'tap'
import { closeSync, constants, openSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { FdWriter } from '../../lib/cli/fd-writer.js'

const dir = await mkdtemp(join(tmpdir(), 'lading-fd-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))

const noStream = (): NodeJS.WriteStream => { throw new Error('Node\'s stream was not needed') }

t.test('strings and bytes go to the descriptor at once; a file or /dev/null is no terminal', async (t) => {
  const file = join(dir, 'out')
  const fd = openSync(file, 'w')
  t.teardown(() => closeSync(fd))
  const w = new FdWriter(fd, noStream)
  w.write('héllo ')
  w.write(Buffer.from('bytes\n'))
  t.equal(readFileSync(file, 'utf8'), 'héllo bytes\n', 'written before write() returned')
  t.equal(w.isTTY, false)
  t.equal(w.columns, undefined)
  const nul = openSync('/dev/null', 'w')
  t.teardown(() => closeSync(nul))
  t.equal(new FdWriter(nul, noStream).isTTY, false, 'a character device that is not a terminal')
  let flushed = false
  w.flush(() => { flushed = true })
  t.ok(flushed, 'nothing queued: flush calls back at once')
})

t.test('a reader that went away (EPIPE) ends the output quietly', async (t) => {
  const fifo = join(dir, 'gone')
  execFileSync('mkfifo', [fifo])
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(fifo, constants.O_WRONLY)
  closeSync(reader)
  t.teardown(() => closeSync(writer))
  const w = new FdWriter(writer, noStream)
  t.doesNotThrow(() => w.write('nobody reads this\n'))
  t.doesNotThrow(() => w.write('nor this\n'))
})

t.test('a non-blocking descriptor that is full (EAGAIN) hands the rest to Node\'s stream, in order', async (t) => {
  const fifo = join(dir, 'full')
  execFileSync('mkfifo', [fifo])
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  t.teardown(() => { closeSync(reader); closeSync(writer) })
  const rest = new PassThrough()
  const got: Buffer[] = []
  rest.on('data', (d: Buffer) => got.push(d))
  const w = new FdWriter(writer, () => rest as unknown as NodeJS.WriteStream)
  const big = Buffer.alloc(1 << 20, 'a')
  w.write(big)
  w.write('after\n')
  await new Promise<void>((resolve) => w.flush(resolve))
  const handed = Buffer.concat(got)
  t.ok(handed.length > 0 && handed.length < big.length + 6, `the pipe took ${big.length + 6 - handed.length} bytes, the stream the rest`)
  t.equal(handed.subarray(-6).toString(), 'after\n', 'later writes follow through the stream')
})
