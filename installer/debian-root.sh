#!/usr/bin/env bash
# Makes (once) a clean Debian bookworm root with debootstrap and keeps it as a tarball, so that
# the installer test starts each run from the same untouched system in seconds.
#   installer/debian-root.sh [TARBALL]     (default: build/installer/bookworm-root.tar)
# Needs root and debootstrap (apt-get install debootstrap).
set -euo pipefail
tarball=${1:-build/installer/bookworm-root.tar}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -s "$tarball" ] && { echo "clean root already made: $tarball"; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "debian-root.sh: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "debian-root.sh: apt-get install debootstrap" >&2; exit 2; }
mkdir -p "$(dirname "$tarball")"
work=$(mktemp -d "$(dirname "$tarball")/root.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work.log" 2>&1 \
  || { tail -20 "$work.log" >&2; exit 1; }
rm -f "$work.log"
cat >"$work/root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
# Package lists are part of the cached root: installing the .deb then resolves its dependencies
# without a network round trip for the lists.
unshare --mount --fork chroot "$work/root" apt-get update -qq
rm -rf "$work/root/var/cache/apt/archives/"*.deb
tar -C "$work/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
du -sh "$tarball"
