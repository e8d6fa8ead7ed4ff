#!/usr/bin/env bash
# Makes a normalized Debian bookworm root filesystem for the lading stack (run or build flavour)
# with mmdebstrap, so the same package set gives the same files and therefore the same layer digest.
#
#   stacks/rootfs.sh FLAVOUR OUTDIR
#
# FLAVOUR names stacks/FLAVOUR.packages: `run` unpacks exactly those packages (distroless-style);
# any other (`build`, `lading` for lading's own image) is Debian's minbase variant plus them.
# Writes OUTDIR/rootfs (the tree) and OUTDIR/packages.txt ("name version arch", sorted).
# Environment: SOURCE_DATE_EPOCH (default below), DEBIAN_MIRROR (default deb.debian.org),
# DEBIAN_SUITE (default bookworm), DEBIAN_ARCH (default: this machine's; `run` needs nothing more
# for a foreign one, since it only unpacks; minbase runs maintainer scripts, so a foreign
# architecture needs qemu-user-static and binfmt_misc). Needs root (mmdebstrap's root mode).
set -euo pipefail
flavour=${1:?usage: rootfs.sh FLAVOUR OUTDIR}
out=${2:?usage: rootfs.sh FLAVOUR OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
suite=${DEBIAN_SUITE:-bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -f "$here/$flavour.packages" ] || { echo "rootfs.sh: no package list $here/$flavour.packages" >&2; exit 2; }
arch=()
if [ -n "${DEBIAN_ARCH:-}" ]; then arch=(--architectures="$DEBIAN_ARCH"); fi
# 2023-06-10, bookworm's release day: files dpkg or maintainer scripts date get this, not "now".
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1686355200}
export LC_ALL=C.UTF-8 TZ=UTC

packages() { grep -v '^[[:space:]]*\(#\|$\)' "$here/$1.packages" | tr '\n' ',' | sed 's/,$//'; }

rm -rf "$out"
mkdir -p "$out"
root=$out/rootfs
drop_docs=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/lintian/*')

if [ "$flavour" = run ]; then
  # apt resolves and downloads the closure; only the listed packages are unpacked, distroless-style
  # (ca-certificates' openssl/debconf and dpkg itself are not needed at run time).
  fetch=$out/fetch
  mmdebstrap --quiet --variant=extract "${arch[@]}" --skip=cleanup/apt/cache --include="$(packages run)" \
    "$suite" "$fetch" "$mirror"
  mkdir -p "$root" "$root/var/lib/dpkg/status.d"
  while read -r pkg; do
    deb=$(ls "$fetch"/var/cache/apt/archives/"${pkg}"_*.deb)
    dpkg-deb -x "$deb" "$root"
    # Scanners (syft, trivy) read distroless-style status.d entries.
    dpkg-deb -f "$deb" > "$root/var/lib/dpkg/status.d/$pkg"
    dpkg-deb -f "$deb" Package Version Architecture | awk -F': ' '{printf "%s%s", (NR>1?" ":""), $2} END {print ""}' >> "$out/packages.unsorted"
  done < <(grep -v '^[[:space:]]*\(#\|$\)' "$here/run.packages")
  rm -rf "$fetch"
  rm -rf "$root"/usr/share/doc/*/[!c]* "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/lintian "$root"/usr/share/locale
  find "$root/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
  # What maintainer scripts would have made.
  ln -sfn dash "$root/bin/sh"
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/root" "$root/home" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/var/tmp"
  (cd "$root/usr/share/ca-certificates" && find . -name '*.crt' | LC_ALL=C sort | while read -r f; do cat "$f"; done) \
    > "$root/etc/ssl/certs/ca-certificates.crt"
  ln -sfn /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
  echo Etc/UTC > "$root/etc/timezone"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' > "$root/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  chmod 1777 "$root/tmp" "$root/var/tmp"; chmod 700 "$root/root"
else
  mmdebstrap --quiet --variant=minbase "${arch[@]}" --include="$(packages "$flavour")" "${drop_docs[@]}" \
    --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version} \${Architecture}\n" > "$1/../packages.unsorted"' \
    "$suite" "$root" "$mirror"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/var/cache/ldconfig/aux-cache "$root"/var/log/* "$root"/usr/share/man \
    "$root"/usr/share/info "$root"/etc/ssh/ssh_host_*
fi

# The CNB user (1000:1000); its home directory is owned by it in the image (make-stack.ts adds
# that as its own layer, since the rootfs layer's files all belong to root).
echo 'cnb:x:1000:1000:CNB user:/home/cnb:/bin/sh' >> "$root/etc/passwd"
echo 'cnb:x:1000:' >> "$root/etc/group"
if [ -f "$root/etc/shadow" ]; then echo 'cnb:!:19518::::::' >> "$root/etc/shadow"; fi
# Files that differ between two runs of the same package set.
rm -f "$root/etc/machine-id" "$root/var/lib/dbus/machine-id" "$root/etc/hostname" "$root/etc/resolv.conf" \
  "$root/etc/hosts" "$root/var/cache/ldconfig/aux-cache"
rm -rf "${root:?}"/dev/* "${root:?}"/proc/* "${root:?}"/sys/* "${root:?}"/run/* "${root:?}"/tmp/* "${root:?}"/home/cnb
find "$root" \( -type s -o -type p \) -delete
LC_ALL=C sort "$out/packages.unsorted" > "$out/packages.txt"
rm -f "$out/packages.unsorted"
