/**
 * A second loopback "host" (127.0.0.2; Linux routes all of 127/8 to lo) that serves a registry's
 * storage root read-only, standing in for S3/a CDN behind distribution's `redirect` middleware.
 * It records every request's headers so tests can prove no registry Authorization leaked to it.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve, sep } from 'node:path'

/** One request the blob host saw. */
export interface BlobHostRequest { method: string; path: string; headers: IncomingHttpHeaders; status: number }

/** A running blob host. */
export interface BlobHost {
  /** `127.0.0.2:<port>` */
  host: string
  /** `http://127.0.0.2:<port>`: the redirect middleware's `baseurl`. */
  url: string
  requests: BlobHostRequest[]
  /** Changes the directory served (e.g. once the registry's rootDir is known). */
  setRoot(dir: string): void
  stop(): Promise<void>
}

/**
 * Serves files under `rootDir` at `http://<bindHost>:<port>/<relative path>` for GET and HEAD,
 * with single `Range: bytes=a-b` support (206). Anything outside the root, missing or not a file
 * → 404. Default bindHost 127.0.0.2.
 */
export async function startBlobHost(rootDir = '/nonexistent', opts: { bindHost?: string } = {}): Promise<BlobHost> {
  let root = resolve(rootDir)
  const requests: BlobHostRequest[] = []
  const server = createServer((req, res) => {
    const rec: BlobHostRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, status: 0 }
    requests.push(rec)
    const send = (status: number, headers: Record<string, string | number> = {}): void => {
      rec.status = status
      res.writeHead(status, headers)
    }
    req.resume()
    void (async () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://blob-host').pathname)
      const file = resolve(root, '.' + pathname)
      if ((req.method !== 'GET' && req.method !== 'HEAD') || !file.startsWith(root + sep)) {
        send(404)
        res.end()
        return
      }
      const st = await stat(file).catch(() => undefined)
      if (!st?.isFile()) {
        send(404)
        res.end()
        return
      }
      let start = 0
      let end = st.size - 1
      let status = 200
      const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' }
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
      if (range) {
        start = Number(range[1])
        if (range[2]) end = Math.min(end, Number(range[2]))
        if (start > end) {
          send(416, { 'content-range': `bytes */${st.size}` })
          res.end()
          return
        }
        status = 206
        headers['content-range'] = `bytes ${start}-${end}/${st.size}`
      }
      headers['content-length'] = st.size === 0 ? 0 : end - start + 1
      send(status, headers)
      if (req.method === 'HEAD' || st.size === 0) {
        res.end()
        return
      }
      createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res)
    })().catch(() => res.destroy())
  })
  const bindHost = opts.bindHost ?? '127.0.0.2'
  await new Promise<void>((ok, fail) => {
    server.once('error', fail)
    server.listen(0, bindHost, () => ok())
  })
  const port = (server.address() as AddressInfo).port
  return {
    host: `${bindHost}:${port}`,
    url: `http://${bindHost}:${port}`,
    requests,
    setRoot: (dir) => { root = resolve(dir) },
    stop: () => new Promise<void>((ok) => {
      server.closeAllConnections()
      server.close(() => ok())
    }),
  }
}
