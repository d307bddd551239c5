"""The Debian package in a clean Debian root: install, run, upgrade over a commune's data, remove.

Runs when ``make installer`` has left dist/commune-police_<version>_amd64.deb (``make test``
then includes it; ``make installer-test`` runs it alone). On a clean clone there is no package
and the whole module is skipped at once. Inside the root there is no virtualenv and no Python at
all: the package must carry everything. Evidence (screenshots, timings) goes to
build/installer-test/.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.installer.chroot import ROOT, USER, CleanRoot, why_not_here

OUT = ROOT / "build" / "installer-test"
DEBS = sorted((ROOT / "dist").glob("commune-police_*_amd64.deb"), key=lambda p: p.stat().st_mtime)

pytestmark = [
    pytest.mark.skipif(not DEBS, reason="no Debian package in dist/: `make installer` builds it"),
    pytest.mark.skipif(bool(DEBS) and why_not_here() is not None,
                       reason=f"clean Debian root unavailable: {why_not_here()}"),
    pytest.mark.timeout(1800),
]
DEMO_INSPECTIONS = 2000


def _version_of(deb: Path) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def deb() -> Path:
    return DEBS[-1]


@pytest.fixture(scope="module")
def older_deb(deb: Path) -> Path:
    """The same package under an older version number (``<version>~older``), to install first
    and then update, as a commune would from one release to the next."""
    work = OUT / "older"
    shutil.rmtree(work, ignore_errors=True)
    tree = work / "tree"
    work.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    control = tree / "DEBIAN" / "control"
    version = _version_of(deb)
    control.write_text(control.read_text().replace(f"Version: {version}\n",
                                                   f"Version: {version}~older\n"))
    target = work / f"commune-police_{version}~older_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Znone", "-b", str(tree), str(target)],
                   check=True, capture_output=True)
    shutil.rmtree(tree)
    return target


@pytest.fixture(scope="module")
def root() -> CleanRoot:
    OUT.mkdir(parents=True, exist_ok=True)
    clean = CleanRoot.unpack(OUT / "root")
    clean.must(f"useradd -m -s /bin/sh {USER}")
    return clean


@pytest.fixture(scope="module")
def results():
    data: dict = {}
    yield data
    (OUT / "results.json").write_text(json.dumps(data, indent=1))


def _digests(folder: Path, names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        path = folder / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            found[str(f.relative_to(folder))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return found


def _snapshot(root: CleanRoot, args: str, name: str, env: dict | None = None) -> dict:
    """Start the GUI offscreen; it saves its first window as PNG and quits."""
    shot = f"/home/{USER}/{name}.png"
    result = root.must(f"commune-police {args}", user=True,
                       env={"COMMUNE_POLICE_SNAPSHOT": shot, **(env or {})}, timeout=300)
    line = json.loads(result.out.strip().splitlines()[-1])
    assert line["saved"] is True and line["snapshot"] == shot
    png = root.home(f"{name}.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copy(png, OUT / f"{name}.png")
    return line


def test_the_clean_root_has_no_python_and_no_application(root):
    assert root.run("command -v python3 || command -v python").code != 0
    assert not (root.path / "opt" / "commune-police").exists()


def test_the_package_installs_with_its_dependencies(root, older_deb, results):
    result = root.install(older_deb)
    assert result.code == 0, result.out[-2000:] + result.err[-2000:]
    status = root.must("dpkg-query -W -f '${Version} ${Status}' commune-police").out
    assert status.endswith("~older install ok installed")
    for path in ("usr/bin/commune-police", "opt/commune-police/commune-police",
                 "usr/share/applications/commune-police.desktop",
                 "usr/share/icons/hicolor/256x256/apps/commune-police.png"):
        assert os.path.lexists(root.path / path), path  # (links are absolute inside the root)
    assert root.must("readlink -f /usr/bin/commune-police").out.strip() == "/opt/commune-police/commune-police"
    root.must("touch /tmp/installed-marker")
    results["installed_size_mib"] = int(root.must(
        "dpkg-query -W -f '${Installed-Size}' commune-police").out) // 1024


def test_every_library_of_the_bundle_resolves(root):
    """ldd over every library and plugin, as the bundle's loader path sets it: nothing missing."""
    out = root.must("cd /opt/commune-police/_internal && export LD_LIBRARY_PATH=$PWD && "
                    "find . -type f \\( -name '*.so*' -o -name '*.abi3.so' \\) -exec ldd {} + "
                    "2>&1 | grep 'not found' | sort -u || true").out
    assert out.strip() == ""


def test_command_line_in_the_clean_system(root, results):
    assert root.must("commune-police --version", user=True).out.strip().startswith("commune-police ")
    assert root.run("command -v python3", user=True).code != 0  # no Python on the user's path
    demo = root.must(f"commune-police demo --db /home/{USER}/demo.sqlite "
                     f"--inspections {DEMO_INSPECTIONS}", user=True, timeout=900)
    assert f"{DEMO_INSPECTIONS:,} contrôles".replace(",", "\u00a0") in demo.out
    check = root.must(f"commune-police check --db /home/{USER}/demo.sqlite", user=True)
    assert check.out.startswith("OK") and f"inspection: {DEMO_INSPECTIONS:,}" in check.out
    results["demo"] = demo.out.strip().splitlines()[1].strip()


def test_gui_shows_its_login_offscreen(root, results):
    line = _snapshot(root, f"--db /home/{USER}/demo.sqlite", "login")
    assert line["window"] == "login"
    from PySide6.QtGui import QImage
    image = QImage(str(OUT / "login.png"))
    assert image.width() > 200 and image.height() > 150


def test_first_start_offers_to_create_a_commune_or_open_the_demo(root):
    line = _snapshot(root, "", "first-start", env={"HOME": f"/home/{USER}/newcomer"})
    assert line["window"] == "first_start"
    # Nothing was created for someone who only looked at the dialog.
    assert not root.home("newcomer", ".local", "share", "commune-police", "commune.sqlite").exists()


def test_nothing_is_written_beside_the_program(root):
    changed = root.must("find /opt/commune-police -newer /tmp/installed-marker").out.strip()
    assert changed == ""
    assert root.home("demo.sqlite").exists()


def test_update_keeps_data_and_migrates_an_older_database(root, deb, results):
    from tests.desktop.store.test_upgrade import _older_database
    from desktop.store.migrations import LATEST
    settings = root.home(".config", "commune-police", "settings.json")
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"version": 1, "language": "fr", "last_db": f"/home/{USER}/demo.sqlite"}))
    previous = _older_database(root.home("older.sqlite"))
    root.must(f"chown -R {USER}:{USER} /home/{USER}")
    kept = ["demo.sqlite", "demo.sqlite.certs", "demo.sqlite.files", ".config/commune-police"]
    before = _digests(root.home(), kept)
    assert any("president.p12" in k for k in before)  # the signing certificates are among them

    result = root.install(deb)
    assert result.code == 0, result.out[-2000:] + result.err[-2000:]
    version = _version_of(deb)
    assert root.must("dpkg-query -W -f '${Version}' commune-police").out == version
    assert "Unpacking commune-police (" + version + ") over (" + version + "~older)" in result.out
    assert _digests(root.home(), kept) == before

    refused = root.run(f"commune-police --lang fr check --db /home/{USER}/older.sqlite", user=True)
    assert refused.code == 2 and "mise à niveau" in refused.err  # read-only: never migrates
    _snapshot(root, f"--db /home/{USER}/older.sqlite", "login-after-update")
    backups = sorted(root.home().glob(f"older.backup-v{previous}-*.sqlite"))
    assert len(backups) == 1
    conn = sqlite3.connect(root.home("older.sqlite"))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    conn.close()
    conn = sqlite3.connect(backups[0])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == previous
    conn.close()
    results["upgrade"] = {"from": f"{version}~older", "to": version, "backup": backups[0].name}


def test_older_application_refuses_a_newer_database(root):
    from desktop.store.migrations import LATEST
    newer = root.home("newer.sqlite")
    shutil.copy(root.home("demo.sqlite"), newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.commit()
    conn.close()
    root.must(f"chown {USER}:{USER} /home/{USER}/newer.sqlite")
    fr = root.run(f"commune-police --lang fr check --db /home/{USER}/newer.sqlite", user=True)
    assert fr.code == 2 and "version plus récente" in fr.err and "Mettez l'application à jour" in fr.err
    ar = root.run(f"commune-police --lang ar check --db /home/{USER}/newer.sqlite", user=True)
    assert ar.code == 2 and "بإصدار أحدث" in ar.err


def test_removal_leaves_the_communes_data(root):
    root.must("apt-get remove -y -q commune-police")
    assert not (root.path / "opt" / "commune-police").exists()
    assert not os.path.lexists(root.path / "usr" / "bin" / "commune-police")
    assert root.home("demo.sqlite").exists() and root.home(".config", "commune-police").is_dir()
