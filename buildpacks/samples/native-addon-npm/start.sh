#!/bin/bash
# bash on purpose: [[ ]] and arrays fail under dash, so the run image's bash is what runs this.
set -euo pipefail
args=(server.js)
if [[ -n "${PORT:-}" ]]; then echo "starting on port $PORT"; fi
exec node "${args[@]}"
