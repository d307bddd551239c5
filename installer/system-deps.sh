#!/usr/bin/env bash
# Installs the Debian packages the application needs at run time (Qt's system libraries) and the
# tools its tests use (poppler-utils, gdal-bin for ogrinfo). Only acts when a package is missing; needs root to install,
# otherwise it prints the command to run. Non-Debian systems are left alone.
set -u
command -v dpkg-query >/dev/null 2>&1 || exit 0
pkgs=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
      libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
      libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 poppler-utils gdal-bin)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (run as root): apt-get install ${missing[*]}" >&2
fi
exit 0
