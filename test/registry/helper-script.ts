import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Writes a real `docker-credential-test` executable into a temp dir and puts that dir first on
 * PATH. Answers by server URL: known.example → user/pass, token.example → identity token,
 * slow.example → sleeps, broken.example and localhost:PORT → failure (secrets on stdout/stderr); anything else → "credentials not found".
 * Returns a cleanup function restoring PATH.
 */
export function installTestHelper(): { dir: string; log: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lading-cred-helper-'))
  const log = join(dir, 'calls.log')
  const script = `#!/bin/sh
read url
echo "$1 $url" >> "${log}"
case "$url" in
  known.example|https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret-pass"}' "$url" ;;
  127.0.0.1:*) printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}' "$url" "$HELPER_USER" "$HELPER_PASS" ;;
  token.example) printf '{"ServerURL":"token.example","Username":"<token>","Secret":"id-token-123"}' ;;
  slow.example) sleep 5 ;;
  broken.example) echo "boom secret-in-stdout"; exit 2 ;;
  localhost:*) echo "boom secret-in-stdout"; echo "secret-in-stderr" >&2; exit 2 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`
  writeFileSync(join(dir, 'docker-credential-test'), script)
  chmodSync(join(dir, 'docker-credential-test'), 0o755)
  const oldPath = process.env.PATH
  process.env.PATH = `${dir}:${oldPath ?? ''}`
  return {
    dir,
    log,
    cleanup() {
      process.env.PATH = oldPath
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
