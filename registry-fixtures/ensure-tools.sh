#!/usr/bin/env bash
# Makes sure the external tools the test suite uses as real parts and independent oracles are
# installed, and that podman works as root on this kind of machine. Idempotent; when everything is
# already in place it only runs a few `command -v`/grep checks (well under a second).
#
# Tool -> Debian package:
#   docker-registry -> docker-registry   skopeo   -> skopeo      umoci -> umoci
#   podman          -> podman            openssl  -> openssl     htpasswd -> apache2-utils
#   /bin/busybox    -> busybox-static    bwrap    -> bubblewrap  runc -> runc
#   mmdebstrap      -> mmdebstrap (the Debian stack in stacks/)
#
# Podman notes (verified on Debian 12, podman 4.3.1, root, cgroup v1 inside a container):
#   - storage: vfs (no overlay/fuse setup needed; slower but always works).
#   - runtime: runc. The default crun 1.8 refuses to start here with "cgroups in hybrid mode not
#     supported, drop all controllers from cgroupv2" (cgroup v1 plus a v2 mount that has the hugetlb
#     controller), with or without `--cgroups disabled`; runc handles the hybrid layout.
#     (`--cgroups disabled` is incompatible with runc, so do not pass it.)
#   - default_ulimits = [] under [containers]: do not ask for rlimits beyond what the sandbox allows.
#   - `--network none` is not required, but podman.ts passes it: tests need no network and it
#     skips netavark/CNI setup entirely.
# `--quickstart`: only what the README's quick start needs on a fresh machine (bubblewrap for the
# buildpack sandbox, busybox-static for the sample images), no podman setup.
set -euo pipefail
quickstart=false
[ "${1:-}" = "--quickstart" ] && quickstart=true

need_pkgs=()
check_cmd() { # <command> <debian package>
  command -v "$1" >/dev/null 2>&1 || need_pkgs+=("$2")
}
if ! $quickstart; then
  check_cmd docker-registry docker-registry
  check_cmd skopeo skopeo
  check_cmd umoci umoci
  check_cmd podman podman
  check_cmd runc runc
  check_cmd openssl openssl
  check_cmd htpasswd apache2-utils
  # The Debian stack (stacks/) is made with mmdebstrap.
  check_cmd mmdebstrap mmdebstrap
  # Benchmark peers, and /usr/bin/time (not the shell keyword) for their CPU seconds and peak RSS.
  check_cmd pigz pigz
  check_cmd buildah buildah
  [ -x /usr/bin/time ] || need_pkgs+=(time)
fi
check_cmd bwrap bubblewrap
# The base images need a *static* busybox; the dynamic `busybox` package would not run inside a
# rootfs that has no libc.
if [ ! -x /bin/busybox ] || ! grep -q '^Package: busybox-static$' /var/lib/dpkg/status 2>/dev/null; then
  need_pkgs+=(busybox-static)
fi

if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: installing ${need_pkgs[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2
  else
    echo "ensure-tools: missing tools. Install these Debian packages (as root):" >&2
    echo "  apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi
$quickstart && exit 0

# Adds `key = value` inside [table] of a TOML file unless the table already sets that key; keeps
# everything else in the file as it is.
ensure_toml_key() { # <file> <table> <key> <value>
  local file=$1 table=$2 key=$3 value=$4
  [ -f "$file" ] || : >"$file"
  if awk -v t="[$table]" -v k="$key" '
      /^[[:space:]]*\[/ { gsub(/[[:space:]]/, ""); inside = ($0 == t); next }
      inside { line = $0; sub(/^[[:space:]]+/, "", line); split(line, a, /[[:space:]]*=/); if (a[1] == k) found = 1 }
      END { exit found ? 0 : 1 }' "$file"; then
    return 0
  fi
  if grep -Eq "^[[:space:]]*\[$table\][[:space:]]*\$" "$file"; then
    # awk, not sed: values such as paths contain characters sed would need escaped.
    local tmp="$file.lading-tmp"
    awk -v t="[$table]" -v line="$key = $value" '
      { print }
      !done { h = $0; gsub(/[[:space:]]/, "", h); if (h == t) { print line; done = 1 } }' "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
  else
    printf '\n[%s]\n%s = %s\n' "$table" "$key" "$value" >>"$file"
  fi
}

# podman configuration (only as root; otherwise podman.ts's explicit flags still apply).
# LADING_CONTAINERS_DIR exists for the harness's own test; normally this is /etc/containers.
conf_dir=${LADING_CONTAINERS_DIR:-/etc/containers}
if [ "$(id -u)" = "0" ] || [ -n "${LADING_CONTAINERS_DIR:-}" ]; then
  mkdir -p "$conf_dir"
  ensure_toml_key "$conf_dir/containers.conf" containers default_ulimits '[]'
  ensure_toml_key "$conf_dir/containers.conf" engine runtime '"runc"'
  ensure_toml_key "$conf_dir/storage.conf" storage driver '"vfs"'
  ensure_toml_key "$conf_dir/storage.conf" storage runroot '"/run/containers/storage"'
  ensure_toml_key "$conf_dir/storage.conf" storage graphroot '"/var/lib/containers/storage"'
fi
exit 0
