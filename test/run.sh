#!/usr/bin/env bash
# The test command (`npm test`): tools check, type check, then every test file under tap.
# Prints a plain "N passed, N failed" closing line for CI log readers.
set -uo pipefail
cd "$(dirname "$0")/.."
bash registry-fixtures/ensure-tools.sh || exit 1
npx tsc -p tsconfig.json --noEmit || { echo "type check failed"; exit 1; }
# Tests run bin/lading, which loads the bundle: rebuild it so it matches the sources.
npm run --silent build || { echo "build failed"; exit 1; }
# The buildpacks' bin/ shims run lib/main.mjs, which is generated (not in git): bundle them from
# buildpacks/src so a fresh clone tests the buildpacks as `npm run builder` ships them.
npm run --silent buildpacks || { echo "buildpack bundle failed"; exit 1; }
# tap compiles its plugin list on install; rebuild it so package.json's list (tsx, not ts-node) holds.
npx tap build >/dev/null || { echo "tap build failed"; exit 1; }
log=$(mktemp)
npx tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# tap's summary line looks like "# { total: 40, pass: 39, fail: 1, skip: 0 }"
summary=$(grep -aE '^# \{ total: [0-9]+' "$log" | tail -n 1)
rm -f "$log"
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
skip=$(sed -nE 's/.*skip: ([0-9]+).*/\1/p' <<<"$summary")
echo "${pass:-0} passed, ${fail:-0} failed${skip:+, $skip skipped}"
exit "$rc"
