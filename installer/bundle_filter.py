"""Which collected files the bundle keeps (used by commune-police.spec, tested without PyInstaller).

PyInstaller's Qt hooks collect every plugin of the Qt modules in use and every translation;
the application needs only a desktop's platform plugins, the image formats it reads, and Qt's
own Arabic and French texts (the buttons of standard dialogs).
"""
from __future__ import annotations

import re

# Qt plugin folders the application loads; other folders (e.g. networkinformation, tls,
# sqldrivers, printsupport, qmltooling, designer) belong to modules it does not use.
QT_PLUGIN_DIRS = {"platforms", "platformthemes", "platforminputcontexts", "imageformats",
                  "xcbglintegrations", "styles",
                  "wayland-decoration-client", "wayland-graphics-integration-client",
                  "wayland-shell-integration"}
# Platform plugins for a desktop session (X11, Wayland, Windows) and for headless runs.
QT_PLATFORMS = re.compile(r"^(lib)?q(xcb|wayland|windows|offscreen|minimal)\.(so|dll)$")
# The GTK theme plugin would bring GTK, cairo and pango (about 6 MB) for native-looking file
# dialogs; Qt's own dialogs (or the XDG portal) serve as well.
QT_THEMES = re.compile(r"gtk")
# The Adwaita window decorations for Wayland draw with QtSvg, which the bundle leaves out; Qt
# falls back to its plain ("bradient") decorations.
QT_DECORATIONS = re.compile(r"adwaita")
# Image formats the application reads or writes (PNG and BMP are built into QtGui); no SVG: it
# would need QtSvg.
QT_IMAGE_FORMATS = re.compile(r"q(jpeg|ico|gif)")
QT_LANGUAGES = ("ar", "fr")

_SEP = re.compile(r"[\\/]")


def _parts(dest: str) -> list[str]:
    return [p for p in _SEP.split(dest) if p]


def _qt_plugin_kept(parts: list[str]) -> bool:
    i = parts.index("plugins")
    if len(parts) <= i + 2:
        return True
    folder, name = parts[i + 1], parts[-1]
    if folder not in QT_PLUGIN_DIRS:
        return False
    if folder == "platforms":
        return bool(QT_PLATFORMS.search(name))
    if folder == "platformthemes":
        return not QT_THEMES.search(name)
    if folder == "wayland-decoration-client":
        return not QT_DECORATIONS.search(name)
    if folder == "imageformats":
        return bool(QT_IMAGE_FORMATS.search(name))
    return True


def keep_binary(dest: str) -> bool:
    """Whether a collected shared library, plugin or link to one (its path in the bundle) is kept."""
    parts = _parts(dest)
    if "PySide6" in parts and "plugins" in parts:
        return _qt_plugin_kept(parts)
    name = parts[-1] if parts else ""
    # Qt libraries pulled in only by the plugins left out above
    if re.match(r"(lib)?Qt6(Quick|Qml|Network|Pdf|VirtualKeyboard|Svg|EglF[sS]|Designer)", name):
        return False
    return True


def keep_data(dest: str) -> bool:
    """Whether a collected data file (destination path in the bundle) is kept."""
    parts = _parts(dest)
    name = parts[-1] if parts else ""
    if "PySide6" in parts and "translations" in parts:
        m = re.match(r"([a-z]+)_([a-zA-Z_]+)\.qm$", name)
        return bool(m) and m.group(1) in ("qt", "qtbase") and m.group(2) in QT_LANGUAGES
    if "PySide6" in parts and "plugins" in parts:
        return _qt_plugin_kept(parts)
    if "tests" in parts or "__pycache__" in parts:
        return False
    return keep_binary(dest)


def _is_root(dest: str, typecode: str) -> bool:
    parts = _parts(dest)
    return (typecode == "EXTENSION" or ("PySide6" in parts and "plugins" in parts)
            or parts[-1].startswith("libpython"))


def readelf_needed(path: str) -> list[str]:
    """The DT_NEEDED names of an ELF file (the libraries the loader will look for)."""
    import subprocess
    out = subprocess.run(["readelf", "-d", "--wide", path], capture_output=True, text=True,
                         check=False).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def prune_unreachable(entries: list[tuple], needed=readelf_needed) -> list[tuple]:
    """Drops the shared libraries no kept extension module, Qt plugin or the interpreter needs.

    PyInstaller collects the dependencies of every plugin before the spec can leave a plugin
    out; this takes away what only the left-out plugins needed (the GTK theme's GTK, cairo,
    pango...). ``entries`` are PyInstaller's (dest, source, typecode) tuples, binaries and data
    alike; a link (SYMLINK, source = its target) stays when its target stays; data stays.
    Linux only: ``needed`` reads ELF headers.
    """
    binaries = [e for e in entries if e[2] in ("BINARY", "EXTENSION")]
    by_name: dict[str, list[tuple]] = {}
    for entry in binaries:
        by_name.setdefault(_parts(entry[0])[-1], []).append(entry)
    kept: set[str] = set()
    todo = [e for e in binaries if _is_root(e[0], e[2])]
    while todo:
        entry = todo.pop()
        if entry[0] in kept:
            continue
        kept.add(entry[0])
        for name in needed(entry[1]):
            todo.extend(e for e in by_name.get(name, ()) if e[0] not in kept)
    gone = {e[0] for e in binaries} - kept
    return [e for e in entries
            if e[0] not in gone and not (e[2] == "SYMLINK" and _link_target(e) in gone)]


def _link_target(entry: tuple) -> str:
    """The bundle path a link entry points to (its source is relative to the link's folder)."""
    parts = _parts(entry[0])[:-1]
    for piece in _parts(entry[1]):
        if piece == "..":
            parts = parts[:-1]
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


# PyInstaller run-time hooks that run at every start for features the application never uses:
# multiprocessing's frozen spawn support (no child processes here), pkgutil.iter_modules over
# the archive (no plugin discovery), inspect.getsource on archived modules (no source reading).
# Together they import multiprocessing, socket, pickle, zipfile and pkgutil: about 35 ms of a
# 0.3 s start to the login window (bench/bench_bundle_startup.py).
UNUSED_RUNTIME_HOOKS = frozenset({"pyi_rth_multiprocessing", "pyi_rth_pkgutil", "pyi_rth_inspect"})


def keep_script(name: str) -> bool:
    """Whether an entry of PyInstaller's scripts (bootstrap, run-time hooks, the entry) is kept."""
    return name not in UNUSED_RUNTIME_HOOKS
