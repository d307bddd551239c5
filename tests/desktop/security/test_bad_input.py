"""Review security-2026-11, LOW section (L1-L7) and M5: each bad input gets a clear message in
the user's language and exit code 2 (1 for problems found by `check`), never a traceback."""
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop.domain.errors import Refusal
from desktop.domain.model import SiteInput
from desktop.store.errors import StoreError
from desktop.store.sites import create_site

ROOT = Path(__file__).resolve().parents[3]


def _run(*args, stdin=None, env=None, lang="fr"):
    """The installed command as a user runs it: its exit code and everything it printed."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    done = subprocess.run([sys.executable, "-m", "desktop", "--lang", lang, *args], capture_output=True, text=True,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL, env=full_env, timeout=120)
    return done.returncode, done.stdout + done.stderr


def _no_traceback(out):
    assert "Traceback" not in out and "Error:" not in out, out


def test_open311_bad_values_and_deep_json(demo_path, tmp_path):
    env = {"COMMUNE_POLICE_PASSWORD": "coord-demo"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"service_request_id": "A1", "requested_datetime": 12345,
                                "description": "Bruit la nuit dans la rue", "service_code": "hygiene"}]))
    rc, out = _run("complaints", "import", str(bad), "--format", "open311", "--db", str(demo_path),
                   "--user", "coordinateur", env=env)
    assert rc == 2 and "#1" in out and "Open311" in out
    _no_traceback(out)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    for lang, word in (("fr", "JSON"), ("ar", "JSON")):
        rc, out = _run("complaints", "import", str(deep), "--format", "open311", "--db", str(demo_path),
                       "--user", "coordinateur", env=env, lang=lang)
        assert rc == 2 and word in out
        _no_traceback(out)


def _polygon_geojson(path, ring, name="Quartier"):
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}).replace('"NaN"', "NaN"))


@pytest.mark.parametrize("ring", [
    [["NaN", 33.5], [-7.5, 33.5], [-7.5, 33.6], ["NaN", 33.5]],          # NaN coordinates
    [[-7.6, 33.5], [-7.5, 33.5], [-7.5, 33.6]],                            # a ring that does not close
])
def test_geojson_nan_or_unclosed_is_refused(demo_path, tmp_path, ring):
    layer = tmp_path / "bad.geojson"
    _polygon_geojson(layer, ring)
    rc, out = _run("districts", "import", str(layer), "--db", str(demo_path), "--name-fr", "name",
                   "--name-ar", "name", env={"COMMUNE_POLICE_PASSWORD": "admin-demo"})
    assert rc == 2 and ("illisible" in out.lower() or "refus" in out.lower())
    _no_traceback(out)


def test_a_district_layer_over_the_vertex_cap_is_refused(tmp_path):
    from maps.layers import MAX_VERTICES, LayerError, load_district_layer
    n = MAX_VERTICES + 10
    ring = [[round(-7.6 + 0.01 * math.cos(2 * math.pi * i / n), 7), round(33.5 + 0.01 * math.sin(2 * math.pi * i / n), 7)]
            for i in range(n)]
    ring.append(ring[0])
    layer = tmp_path / "huge.geojson"
    _polygon_geojson(layer, ring)
    with pytest.raises(LayerError) as refused:
        load_district_layer(layer)
    assert refused.value.code == "too_many_vertices" and refused.value.params["max"] == MAX_VERTICES


@pytest.mark.parametrize("size", ["60000x60000", "0x-5", "abc"])
def test_map_size_limits(demo_path, tmp_path, size):
    out = tmp_path / "m.png"
    rc, text = _run("map", "--db", str(demo_path), "--out", str(out), "--size", size)
    assert rc == 2 and "--size" in text and not out.exists()
    _no_traceback(text)


def test_user_add_without_any_input_is_a_message(demo_path):
    rc, out = _run("user", "add", "zed", "--db", str(demo_path), "--role", "officer",
                   env={"COMMUNE_POLICE_PASSWORD": "admin-demo"})
    assert rc == 2 and "COMMUNE_POLICE_NEW_PASSWORD" in out
    _no_traceback(out)


def test_no_message_has_an_unfilled_placeholder_for_an_unknown_field():
    from desktop.domain.complaints import ComplaintError
    from desktop.i18n import Translator
    from desktop.services.messages import message_for
    exc = ComplaintError("open311_rejected", problems=[("#1", "unknown_field", "SR-1")], count=1)
    for lang in ("fr", "ar"):
        text = message_for(exc, Translator(lang))
        assert "{" not in text and "}" not in text, text


@pytest.mark.parametrize("evil", ["Café\u202eetarap", "Café\x00 caché", "Café\u2066isolé"])
def test_hidden_characters_are_refused_in_site_names(empty_commune, evil):
    with pytest.raises(Refusal) as refused:
        with empty_commune.transaction(None) as tx:
            create_site(tx, SiteInput(kind="establishment", name=evil, address="1 rue"), None, None, None)
    assert refused.value.code == "text_hidden_characters"


def test_site_text_length_is_capped(empty_commune):
    with pytest.raises(Refusal) as refused:
        with empty_commune.transaction(None) as tx:
            create_site(tx, SiteInput(kind="establishment", name="x" * 301, address="1 rue"), None, None, None)
    assert refused.value.code == "text_too_long"


def test_a_bidi_override_never_reaches_a_pdf(tmp_path):
    """Whatever reaches the PDF engine anyway (an older row, an imported name): the engine drops
    control and bidi-override characters from every line it draws."""
    from reports.bidi_layout import visible
    assert visible("Café\u202eetarap\x00\u2066x\u2069") == "Caféetarapx"
    assert visible("سطر\nوسطر\tثان") == "سطر\nوسطر\tثان"


def test_a_symlinked_attachment_folder_is_not_followed(empty_commune, tmp_path):
    import hashlib
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x01" * 64)
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = empty_commune.attachments.root
    root.mkdir(mode=0o700, exist_ok=True)
    (root / sha[:2]).symlink_to(elsewhere)
    with pytest.raises(StoreError) as refused:
        empty_commune.attachments.put_photo(photo)
    assert refused.value.code == "attachment_symlink"
    assert list(elsewhere.iterdir()) == []
    with pytest.raises(StoreError):
        empty_commune.attachments.verify(sha, 72)


@pytest.mark.slow
def test_a_killed_demo_leaves_no_half_commune(tmp_path):
    target = tmp_path / "demo.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "demo", "--db", str(target), "--inspections", "200000"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".demo.sqlite.building-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # well inside the build
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not target.exists() and not (tmp_path / "demo.sqlite.files").exists()
    assert list(tmp_path.glob(".demo.sqlite.building-*"))  # the half build is under its temporary name
    rc, out = _run("demo", "--db", str(target), "--inspections", "500")
    assert rc == 0, out
    assert target.exists() and not list(tmp_path.glob(".demo.sqlite.building-*"))
    assert _run("check", "--db", str(target))[0] == 0


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root to mount")
def test_a_database_on_a_read_only_medium_is_checked_and_said_so(demo_path, tmp_path):
    mnt = tmp_path / "ro"
    mnt.mkdir()
    script = (f"mount -t tmpfs -o size=200m none {mnt} && cp -a {demo_path} {demo_path}.files {mnt}/ "
              f"&& mount -o remount,ro {mnt} && {sys.executable} -m desktop check --db {mnt / demo_path.name}; "
              f"echo rc=$?")
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if "rc=" not in done.stdout:
        pytest.skip(f"cannot mount here: {done.stderr[-200:]}")
    assert "Support en lecture seule" in done.stdout and "OK" in done.stdout and "rc=0" in done.stdout, done.stdout


@pytest.mark.parametrize("table, column", [("inspection", "notes"), ("user", "full_name_fr"), ("delegation", "scope_fr")])
def test_no_hidden_character_is_recorded_through_any_write(store, table, column):
    """Whatever form or command a text comes from, the store refuses NUL and bidi overrides."""
    row = store.scalar(f"SELECT id FROM [{table}] LIMIT 1")
    with pytest.raises(Refusal) as refused:
        with store.transaction(None) as tx:
            tx.update(table, row, {column: "texte\u202e caché"})
    assert refused.value.code == "text_hidden_characters_in" and refused.value.params["field"] == f"{table}.{column}"
    with pytest.raises(Refusal):
        with store.transaction(None) as tx:
            tx.update(table, row, {column: "nul\x00"})


@pytest.mark.slow
def test_a_writer_held_up_by_a_long_write_gets_a_message_and_writes_nothing(demo_path, monkeypatch, capsys):
    """Review L7: a write longer than the 5 s busy timeout (a big district import) makes another
    writer fail: with "busy, try again", nothing half-written, no traceback.
    The holder uses the store's own SQLite (sqlcipher3): two copies of SQLite in one process do
    not see each other's locks, which another process's would."""
    from desktop.cli import main
    from desktop.store.engine import sqlite3
    holder = sqlite3.connect(demo_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long import does
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    try:
        assert main(["user", "disable", "agent002", "--db", str(demo_path)]) == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "occupée" in capsys.readouterr().err
    from desktop.store.db import open_store
    with open_store(demo_path) as store:
        assert store.scalar("SELECT active FROM [user] WHERE username = 'agent002'") == 1
