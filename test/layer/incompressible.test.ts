import t from 'tap'
import { randomBytes } from 'node:crypto'
import { inflateRawSync } from 'node:zlib'
import { GZIP_BLOCK_SIZE, isIncompressible, storedBlocks } from '../../lib/layer/incompressible.js'

const text = Buffer.from('a layer of text compresses well; '.repeat(30_000))

t.test('isIncompressible: flat histograms without repeats only', async (t) => {
  const noise = randomBytes(GZIP_BLOCK_SIZE)
  t.ok(isIncompressible(noise, undefined), 'random bytes')
  t.ok(isIncompressible(noise, randomBytes(32 * 1024)), 'random bytes after an unrelated dictionary')
  t.notOk(isIncompressible(text.subarray(0, GZIP_BLOCK_SIZE), undefined), 'text')
  t.notOk(isIncompressible(noise.subarray(0, 1000), undefined), 'tiny blocks are left to deflate')
  const twice = Buffer.concat([noise.subarray(0, 40_000), noise.subarray(0, 40_000)])
  t.notOk(isIncompressible(twice, undefined), 'random bytes repeated inside the block')
  t.notOk(isIncompressible(noise.subarray(0, 60_000), noise.subarray(0, 32 * 1024)), 'random bytes repeating the dictionary')
  // A repeat of 2 KiB at an arbitrary offset: anchors are chosen by content, not position.
  const shifted = Buffer.from(noise)
  noise.copy(shifted, 100_003, 5_001, 5_001 + 2048)
  t.notOk(isIncompressible(shifted, undefined), 'a 2 KiB repeat at an odd distance')
  const counter = Buffer.alloc(GZIP_BLOCK_SIZE)
  for (let i = 0; i < counter.length; i++) counter[i] = i & 0xff
  t.notOk(isIncompressible(counter, undefined), 'a flat histogram that is all repeats')
})

t.test('the verdict depends on the bytes only', async (t) => {
  const noise = randomBytes(GZIP_BLOCK_SIZE)
  const dict = randomBytes(32 * 1024)
  const first = isIncompressible(noise, dict)
  for (let i = 0; i < 5; i++) t.equal(isIncompressible(Buffer.from(noise), Buffer.from(dict)), first)
})

t.test('storedBlocks: pieces of at most 65,535 bytes that inflate back, BFINAL only when last', async (t) => {
  for (const n of [0, 1, 0xffff, 0x10000, GZIP_BLOCK_SIZE]) {
    const block = randomBytes(n)
    const last = Buffer.concat(storedBlocks(block, true))
    t.equal(last.length, n + 5 * Math.max(1, Math.ceil(n / 0xffff)), `${n}: 5 bytes per piece`)
    t.ok(inflateRawSync(last).equals(block), `${n}: inflates back`)
    const notLast = Buffer.concat(storedBlocks(block, false))
    t.equal(notLast[0], 0, `${n}: not final`)
    t.ok(inflateRawSync(Buffer.concat([notLast, Buffer.from([0x03, 0x00])])).equals(block), `${n}: continues`)
  }
})
