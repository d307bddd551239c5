#!/usr/bin/env bash
# `make installer`: the one-folder bundle, then the Debian package (Linux).
#   dist/commune-police/                    PyInstaller bundle (installer/commune-police.spec)
#   dist/commune-police_<version>_amd64.deb  installs it under /opt (installer/build-deb.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -c 'import PyInstaller' 2>/dev/null || "$PY" -m pip install -q -e '.[installer]'
for tool in dpkg-deb readelf strip; do
  command -v "$tool" >/dev/null || missing="${missing:-} $tool"
done
if [ -n "${missing:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dpkg binutils >/dev/null
  else
    echo "build.sh: missing$missing (apt-get install dpkg binutils)" >&2; exit 2
  fi
fi
"$PY" installer/make_icons.py build/icons
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  installer/commune-police.spec
"$PY" installer/strip_bundle.py dist/commune-police
PYTHON="$PY" bash installer/build-deb.sh
echo "bundle: $(du -sh dist/commune-police | cut -f1) in dist/commune-police/"
