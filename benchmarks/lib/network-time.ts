/**
 * A command's network time: how long, in one run, at least one of its requests was with the
 * registry, read at the counting proxy in front of it (from a request's arrival to its answer's
 * status line), in runs of their own apart from the timed ones. The start-up target for
 * one-off commands is "1.3× `node -e ''` plus its network time"; this is that network time.
 *
 * Read at the proxy, not inside the command: a command that does its own work while it waits (a
 * one-off lading loads node:crypto then) would see its answers late, and count its own work as
 * the network's.
 */
import { spread, timeCmd, type Cmd, type Spread } from './harness.js'
import type { CountingRegistry } from './counting-registry.js'

/** Milliseconds during which at least one of `spans` ([start, end]) was open. */
export function unionMs(spans: readonly (readonly [number, number])[]): number {
  let total = 0
  let end = -Infinity
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (b <= end) continue
    total += b - Math.max(a, end)
    end = b
  }
  return total
}

/** What networkTime() measured: the network time of each run, and how many requests each made. */
export interface NetworkTime { ms: Spread; requests: number[] }

/**
 * Runs the command `runs` times against the proxy of `cr`, after `warmup` runs not counted (which
 * learn what first runs learn: the registry's ping, lading's caches, the blobs a rebase between two
 * bases makes once for each), and returns the spread of its network time. `cmd(host, run)` makes
 * the command; it may set the registry up for the run first.
 */
export async function networkTime(cr: CountingRegistry, cmd: (host: string, run: number) => Cmd | Promise<Cmd>, runs = 5, warmup = 2): Promise<NetworkTime> {
  const ms: number[] = []
  const requests: number[] = []
  for (let i = -warmup; i < runs; i++) {
    const c = await cmd(cr.host, i)
    const from = cr.proxy.requests.length
    await timeCmd(c)
    if (i < 0) continue
    const qs = cr.proxy.requests.slice(from)
    if (qs.length === 0) throw new Error(`networkTime: ${c.argv.join(' ')} sent no request to ${cr.host}`)
    ms.push(unionMs(qs.map((q) => [q.arrivedMs, q.answeredMs ?? q.arrivedMs] as const)))
    requests.push(qs.length)
  }
  return { ms: spread(ms, 1), requests }
}
