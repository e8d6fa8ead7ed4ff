/** The packages' commands (next, http-server, ts-node...) for a shell start script: `#!/usr/bin/env node` cannot run on the run image, which has no /usr/bin/env, so a launch layer's bin/ (on PATH at launch) gets one `#!/bin/sh` shim per such command that runs it with node. */
import { chmodSync, existsSync, mkdirSync, openSync, readSync, closeSync, readdirSync, realpathSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { freshLayer, readLayerMetadata, writeLayerToml, type BuildContext } from './cnb.js'
import { appProcesses } from './commands.js'

export const SHIM_LAYER = 'node_modules-bin'

/** Shims only when a process runs through the shell (the commands node-start writes), so apps started with plain node keep exactly the layers they had. */
export function needsShims(appDir: string): boolean {
  return appProcesses(appDir).some((p) => p.cmd[0] === '/bin/sh')
}

/** The shim text for the command file `target`, or undefined when the kernel can run it as it is. */
export function shimFor(target: string, head: string): string | undefined {
  // pnpm's own sh shims find their directory with dirname and sed, which the run image lacks too.
  const pnpm = /^#!\/bin\/sh\n[\s\S]*?exec node\s+"\$basedir\/([^"]+)"/.exec(head)
  if (pnpm) return `#!/bin/sh\nexec node ${JSON.stringify(resolve(dirname(target), pnpm[1]!))} "$@"\n`
  const m = /^#!\s*\/usr\/bin\/env\s+(?:-S\s+)?node\b([^\n]*)/.exec(head)
  if (!m) return undefined
  const args = m[1]!.trim()
  return `#!/bin/sh\nexec node ${args ? `${args} ` : ''}${JSON.stringify(target)} "$@"\n`
}

function head(file: string): string {
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.alloc(4096)
    return buf.subarray(0, readSync(fd, buf, 0, 4096, 0)).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/** True when the shim layer for `key` is already there (kept as the node_modules layer is). */
export function shimsCurrent(ctx: BuildContext, key: string): boolean {
  return readLayerMetadata(ctx.layersDir, SHIM_LAYER).key === key
}

/** Writes (or keeps, while `key` holds) the shim layer for the commands in `modules`/.bin. */
export function writeShims(ctx: BuildContext, modules: string, key: string): void {
  const types = { launch: true, build: false, cache: false }
  if (shimsCurrent(ctx, key)) {
    writeLayerToml(ctx.layersDir, SHIM_LAYER, types, { key })
    return
  }
  const bin = join(freshLayer(ctx.layersDir, SHIM_LAYER), 'bin')
  mkdirSync(bin)
  const dotBin = join(modules, '.bin')
  const names = existsSync(dotBin) ? readdirSync(dotBin).sort() : []
  for (const name of names) {
    let target: string
    try { target = realpathSync(join(dotBin, name)) } catch { continue }
    const shim = shimFor(target, head(target))
    if (!shim) continue
    writeFileSync(join(bin, name), shim)
    chmodSync(join(bin, name), 0o755)
  }
  writeLayerToml(ctx.layersDir, SHIM_LAYER, types, { key })
}
