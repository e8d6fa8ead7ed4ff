/** Read-only overlays for a root stage (stage.ts): a host directory such as /etc, minus its hidden
 * entries, as ONE mount instead of one bind per entry. Every bind bwrap makes re-reads the whole
 * mount table, so a view of ~150 mounts made each run ~50 ms slower than a view of ~10.
 *
 * The overlay's top layer is a directory we lay out: a whiteout (a 0/0 character device, all of
 * them hard links of one) per hidden entry, and the directories leading to nested ones, each with
 * the owner and mode of the host directory it stands for (overlay shows the top layer's, and a
 * looser mode would list what the host does not). An overlay shows the file system under a
 * directory, not what is mounted below it, so host mounts inside it are bound back on top, unless
 * hidden; a hidden path under such a mount cannot be whited out, and the stage then falls back to
 * a bind per entry (OverlayUnfit).
 */
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync } from 'node:fs'
import { posix } from 'node:path'
import type { OverlayOp } from './sandbox-view.js'

/** This overlay cannot hide what it must (a hidden path under a host mount): use binds per entry. */
export class OverlayUnfit extends Error {}

/** Mount points listed in a /proc/self/mountinfo text (field 5, octal escapes decoded). */
export function mountPoints(mountinfo: string): string[] {
  const out: string[] = []
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ')
    if (f.length < 5 || !f[4]) continue
    out.push(f[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
  }
  return out
}

function under(p: string, dir: string): boolean {
  return p === dir || p.startsWith(`${dir}/`)
}

/** A directory standing for `like`: same owner and mode. */
function mirrorDir(p: string, like: string): void {
  const st = lstatSync(like)
  mkdirSync(p)
  chownSync(p, st.uid, st.gid)
  chmodSync(p, st.mode & 0o7777)
}

/** One mount for the stage's fstab: source, target, type, options. */
export interface MountLine { source: string; target: string; type: string; options: string }

/** What layOverlay leaves to do: the mounts, and where whiteouts go once the device exists. */
export interface OverlayLayout { mounts: MountLine[]; whiteouts: string[] }

/**
 * Lays out the dirs of the top layer of `o` at `layer` and returns the whiteouts to make there
 * (hard links of one device) and the mounts that show `o.source` at `target`: the overlay, then
 * the host mounts inside it that are not hidden (topmost only; `rbind` brings the ones below).
 * Throws OverlayUnfit when a hidden path lies inside one of those host mounts.
 */
export function layOverlay(o: OverlayOp, layer: string, target: string, hostMounts: readonly string[]): OverlayLayout {
  const hidden = o.whiteouts.map((w) => posix.join(o.source, w))
  const inside = hostMounts.filter((m) => m.startsWith(`${o.source}/`)).sort()
  const shown: string[] = []
  for (const m of inside) {
    if (hidden.some((h) => under(m, h))) continue
    if (hidden.some((h) => h.startsWith(`${m}/`))) throw new OverlayUnfit(`${m} is a mount with a hidden path inside`)
    if (!shown.some((s) => under(m, s))) shown.push(m)
  }
  mirrorDir(layer, o.source)
  for (const d of o.dirs) mirrorDir(posix.join(layer, d), posix.join(o.source, d))
  return {
    mounts: [
      { source: 'overlay', target, type: 'overlay', options: `ro,lowerdir=${layer}:${o.source}` },
      ...shown.map((m) => ({ source: m, target: posix.join(target, posix.relative(o.source, m)), type: 'none', options: 'rbind,ro' })),
    ],
    whiteouts: o.whiteouts.map((w) => posix.join(layer, w)),
  }
}

/** Makes each whiteout a hard link of `device` (a 0/0 character device on the same file system). */
export function linkWhiteouts(device: string, whiteouts: readonly string[]): void {
  for (const w of whiteouts) linkSync(device, w)
}
