#!/usr/bin/env bash
# Packs the one-folder bundle (dist/commune-police/) as dist/commune-police_<version>_amd64.deb:
#   /opt/commune-police/               the bundle (replaced whole by an update)
#   /usr/bin/commune-police            a link to its executable
#   /usr/share/applications/, /usr/share/icons/hicolor/   the desktop entry and the icon
# A commune's data are never in the package: they live in each user's folders
# (~/.local/share/commune-police, ~/.config/commune-police), which an update does not touch.
#   installer/build-deb.sh [VERSION]   (default: the installed distribution's version)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
bundle=dist/commune-police
[ -x "$bundle/commune-police" ] || { echo "build-deb.sh: no bundle in $bundle (make installer)" >&2; exit 2; }
version=${1:-$("$PY" -c 'from desktop.services.first_start import app_version; print(app_version())')}
deb=dist/commune-police_${version}_amd64.deb
stage=build/deb/commune-police_${version}_amd64
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
         "$stage/usr/share/icons/hicolor/256x256/apps" "$stage/usr/share/icons/hicolor/scalable/apps" \
         "$stage/usr/share/doc/commune-police"
cp -a "$bundle" "$stage/opt/commune-police"
ln -s /opt/commune-police/commune-police "$stage/usr/bin/commune-police"
install -m 644 installer/commune-police.desktop "$stage/usr/share/applications/"
install -m 644 build/icons/commune-police.png "$stage/usr/share/icons/hicolor/256x256/apps/"
install -m 644 installer/commune-police.svg "$stage/usr/share/icons/hicolor/scalable/apps/"
install -m 644 NOTICE "$stage/usr/share/doc/commune-police/copyright"
# What the bundle takes from the system: the C library, OpenGL/EGL (the machine's own driver),
# and the X11/Wayland client libraries of the desktop session. Everything else is inside.
depends=$(sed '/^[[:space:]]*$/d; /^#/d' installer/deb-depends.txt | paste -sd, | sed 's/,/, /g')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: commune-police
Version: $version
Architecture: amd64
Maintainer: Commune Police <commune-police@localhost>
Installed-Size: $size
Depends: $depends
Section: misc
Priority: optional
Homepage: https://commune-police.invalid/
Description: Administrative police desk of a Moroccan commune
 Offline inspections in hygiene, urban planning and the public domain, the
 enforcement ladder up to signed decisions in Arabic and French, district maps
 and the annual activity report to the governor. Self-contained: Python, Qt and
 the geo engine are inside /opt/commune-police.
CONTROL
cat > "$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = remove ] || [ "$1" = purge ]; then
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
fi
exit 0
POSTINST
cp "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
mkdir -p dist
rm -f dist/commune-police_*_amd64.deb
dpkg-deb --root-owner-group -Zxz -z6 --build "$stage" "$deb" >/dev/null
rm -rf "$stage"
echo "$deb: $(du -h "$deb" | cut -f1) (installed: $((size / 1024)) MiB)"
