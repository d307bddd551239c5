"""The packaging helpers and files that can be checked without building anything (fast; run in CI
on a clean clone, and on Windows by the installer workflow)."""
from __future__ import annotations

import importlib.util
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, INSTALLER / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_filter = _load("bundle_filter")
strip_bundle = _load("strip_bundle")


@pytest.mark.parametrize("dest, kept", [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6\\plugins\\platforms\\qwindows.dll", True),
    ("PySide6/Qt/plugins/platforms/libqminimalegl.so", False),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
    ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
    ("PySide6/Qt/plugins/wayland-decoration-client/libadwaita.so", False),
    ("PySide6/Qt/plugins/wayland-decoration-client/libbradient.so", True),
    ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", False),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),
    ("PySide6/Qt/lib/libQt6Quick.so.6", False),
    ("PySide6/Qt/lib/libQt6Svg.so.6", False),
    ("libQt6Svg.so.6", False),  # the link PyInstaller puts beside the bootloader
    ("PySide6\\Qt6Network.dll", False),
    ("pyogrio.libs/libgdal-253d08a6.so.38.3.12.4", True),
])
def test_which_libraries_the_bundle_keeps(dest, kept):
    assert bundle_filter.keep_binary(dest) is kept


@pytest.mark.parametrize("dest, kept", [
    ("PySide6/Qt/translations/qtbase_ar.qm", True),
    ("PySide6/Qt/translations/qt_fr.qm", True),
    ("PySide6/Qt/translations/qtbase_de.qm", False),
    ("PySide6/Qt/translations/qtmultimedia_fr.qm", False),
    ("PySide6/Qt/translations/qt_help_fr.qm", False),
    ("pyogrio/gdal_data/gdalvrt.xsd", True),
    ("pyogrio/tests/fixtures/naturalearth.zip", False),
    ("resources/fonts/Amiri-Regular.ttf", True),
])
def test_which_data_the_bundle_keeps(dest, kept):
    assert bundle_filter.keep_data(dest) is kept


def test_unused_runtime_hooks_are_left_out():
    assert not bundle_filter.keep_script("pyi_rth_multiprocessing")
    assert bundle_filter.keep_script("pyi_rth_pyside6")  # needed: Qt's paths inside the bundle
    assert bundle_filter.keep_script("commune_police")


def test_libraries_only_a_left_out_plugin_needed_are_pruned():
    needed = {
        "/src/QtWidgets.abi3.so": ["libQt6Widgets.so.6", "libc.so.6"],
        "/src/libQt6Widgets.so.6": ["libQt6Gui.so.6"],
        "/src/libQt6Gui.so.6": [],
        "/src/libqxcb.so": ["libxcb-cursor.so.0"],
        "/src/libxcb-cursor.so.0": [],
        "/src/libcairo.so.2": ["libpixman-1.so.0"],  # needed only by the GTK theme, left out
        "/src/libpixman-1.so.0": [],
    }
    entries = [
        ("PySide6/QtWidgets.abi3.so", "/src/QtWidgets.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "/src/libQt6Widgets.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/src/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("libxcb-cursor.so.0", "/src/libxcb-cursor.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libpixman-1.so.0", "/src/libpixman-1.so.0", "BINARY"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libcairo-link.so", "libcairo.so.2", "SYMLINK"),
        ("resources/i18n/messages.json", "/src/messages.json", "DATA"),
    ]
    kept = [e[0] for e in bundle_filter.prune_unreachable(entries, needed=lambda p: needed[p])]
    assert kept == ["PySide6/QtWidgets.abi3.so", "PySide6/Qt/lib/libQt6Widgets.so.6",
                    "PySide6/Qt/lib/libQt6Gui.so.6", "PySide6/Qt/plugins/platforms/libqxcb.so",
                    "libxcb-cursor.so.0", "libQt6Gui.so.6", "resources/i18n/messages.json"]


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("readelf") is None
                    or shutil.which("strip") is None, reason="needs Linux binutils")
def test_stripping_keeps_libraries_loadable(tmp_path):
    """A library is stripped only when the result still loads (checked like ld.so checks it)."""
    source = Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("LDLIBRARY")
    if not source.exists():
        source = Path(sys.executable).resolve()
    assert strip_bundle.is_elf(source) and strip_bundle.loads_soundly(source)
    folder = tmp_path / "bundle"
    folder.mkdir()
    copy = folder / source.name
    shutil.copy(source, copy)
    (folder / "notes.txt").write_text("not a library")
    strip_bundle.strip_bundle(folder)
    assert strip_bundle.loads_soundly(copy) and copy.stat().st_size <= source.stat().st_size
    assert (folder / "notes.txt").read_text() == "not a library"


def test_debian_dependencies_and_desktop_entry():
    depends = [line for line in (INSTALLER / "deb-depends.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert "libgl1" in depends and any(d.startswith("libc6") for d in depends)
    entry = dict(line.split("=", 1) for line in
                 (INSTALLER / "commune-police.desktop").read_text(encoding="utf-8").splitlines()
                 if "=" in line)
    assert entry["Exec"] == "commune-police" and entry["Icon"] == "commune-police"
    assert entry["Name[ar]"] and entry["Name[fr]"]


def test_windows_installer_script_has_arabic_and_french_screens():
    raw = (INSTALLER / "windows" / "commune-police.iss").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Inno Setup reads Arabic text from UTF-8 with a BOM
    text = raw.decode("utf-8-sig")
    assert 'MessagesFile: "compiler:Languages\\Arabic.isl"' in text
    assert 'MessagesFile: "compiler:Languages\\French.isl"' in text
    assert "#ifdef SignTool" in text and "SignedUninstaller=yes" in text
    assert '{#Root}\\dist\\commune-police\\*' in text  # the folder the spec builds


def test_the_spec_ships_what_the_application_reads():
    spec = (INSTALLER / "commune-police.spec").read_text()
    for needed in ('collect_data_files("resources"', 'subdir="gdal_data"', 'subdir="proj_data"',
                   'copy_metadata("commune-police")', "keep_script", "prune_unreachable"):
        assert needed in spec
    import resources
    for path in ("fonts", "catalogue/catalogue.json", "districts", "i18n/messages.json"):
        assert resources.path(*path.split("/")).exists()
