import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import tarStream from 'tar-stream'
const extract = tarStream.extract()
extract.on('entry', (h, s, next) => { console.log(h.name); s.on('end', next); s.resume() })
await pipeline(createReadStream('/tmp/bi/exp/layout/blobs/sha256/3ab98be9a63c71cb99dee3e78a61509b156ca2c78ab138fb2d032d1e0f297662'), createGunzip(), extract)
console.log('ok')
