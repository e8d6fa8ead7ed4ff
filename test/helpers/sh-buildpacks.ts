/** Tiny POSIX-sh buildpacks made on the fly (busybox only), for builder and buildpackage tests. */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Writes a buildpack at `dir` whose build adds a launch layer and a default `web` process printing `message`. */
export async function writeShBuildpack(dir: string, id: string, version: string, message: string, opts: { api?: string; extra?: string } = {}): Promise<string> {
  await mkdir(join(dir, 'bin'), { recursive: true })
  await writeFile(join(dir, 'buildpack.toml'), `api = "${opts.api ?? '0.10'}"\n\n[buildpack]\nid = "${id}"\nversion = "${version}"\nname = "${id} (test)"\nhomepage = "https://example.test/${id}"\n\n[[targets]]\nos = "linux"\n`)
  await writeFile(join(dir, 'bin/detect'), '#!/bin/sh\nexit 0\n')
  const layer = id.replaceAll('/', '_')
  await writeFile(join(dir, 'bin/build'), `#!/bin/sh
set -eu
l="$CNB_LAYERS_DIR/msg"
/bin/busybox mkdir -p "$l/bin"
printf '#!/bin/sh\\necho "%s (env: \${BUILDER_GREETING:-none})"\\n' ${JSON.stringify(`${message}`)} >"$l/bin/say-${layer}"
/bin/busybox chmod 755 "$l/bin/say-${layer}"
printf '[types]\\nlaunch = true\\n' >"$CNB_LAYERS_DIR/msg.toml"
printf '[[processes]]\\ntype = "web"\\ncommand = ["say-${layer}"]\\ndefault = true\\n' >"$CNB_LAYERS_DIR/launch.toml"
echo "${id}: built as $(id -u):$(id -g), greeting=\${BUILDER_GREETING:-none}"
${opts.extra ?? ''}
`)
  await writeFile(join(dir, 'data.txt'), `${message}\n`)
  await chmod(join(dir, 'bin/detect'), 0o755)
  await chmod(join(dir, 'bin/build'), 0o755)
  return dir
}

/** Writes a composite buildpack at `dir` whose order is one group of `members` (id, version, optional). */
export async function writeComposite(dir: string, id: string, version: string, members: { id: string; version: string; optional?: boolean }[]): Promise<string> {
  await mkdir(dir, { recursive: true })
  const group = members.map((m) => `[[order.group]]\nid = "${m.id}"\nversion = "${m.version}"\n${m.optional ? 'optional = true\n' : ''}`).join('\n')
  await writeFile(join(dir, 'buildpack.toml'), `api = "0.10"\n\n[buildpack]\nid = "${id}"\nversion = "${version}"\n\n[[order]]\n${group}`)
  return dir
}
