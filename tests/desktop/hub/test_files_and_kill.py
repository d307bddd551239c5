"""The USB transport through the real commands, and ``kill -9`` in the middle of an import at
the hub and at a device: both stores stay consistent and running the command again completes."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from desktop.services import sync
from tests.builders import make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device

ROOT = Path(__file__).resolve().parents[3]


def cli(*args, check=True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COMMUNE_POLICE_LANG": "fr"}
    done = subprocess.run([sys.executable, "-m", "desktop", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)  # as a script (no terminal to ask at)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def spawn(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "desktop", *map(str, args)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _device_id(path) -> str:
    with device(path) as c:
        return sync.status(c)["device_id"]


def _officer_day(path, team, catalogue, n: int) -> None:
    with device(path, "agent1") as c:
        for i in range(n):
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                            findings=["HYG-01", "HYG-02"] if i % 2 else [], notes=f"visite {i}",
                            inspected_at=f"2026-06-01T{8 + i // 60:02d}:{i % 60:02d}:00Z")


def test_a_usb_round_trip_with_the_commands(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    _officer_day(tablet, team, catalogue, 3)
    out, receipt, back = tmp_path / "tablet.bundle", tmp_path / "receipt", tmp_path / "back.bundle"
    assert "opérations en attente" in cli("sync", "export", "--db", tablet, "--out", out).stdout
    assert cli("hub", "import", "--pg", pg_url, out, "--out", receipt).returncode == 0
    cli("hub", "export", "--pg", pg_url, "--device", _device_id(tablet), "--out", back)
    shown = cli("sync", "import", "--db", tablet, back).stdout
    assert "En attente : 0 opérations" in shown
    assert json.loads(cli("conflicts", "list", "--db", tablet, "--json").stdout) == []
    assert cli("sync", "import", "--db", tablet, receipt).returncode == 0  # the bare receipt again: no harm
    refused = cli("hub", "import", "--pg", pg_url, tmp_path / "nothing", check=False)
    assert (refused.returncode, refused.stderr.count("Impossible de lire")) == (2, 1)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff not a bundle")
    refused = cli("hub", "import", "--pg", pg_url, tmp_path / "photo.jpg", check=False)
    assert (refused.returncode, refused.stderr.strip()) == (2, "Ce fichier n'est pas un lot de synchronisation.")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM inspection").fetchone()[0] == 3
    assert_check_ok(tablet)
    checked = cli("hub", "check", "--pg", pg_url).stdout
    assert checked.splitlines()[-1] == "OK" and "1 appareils" in checked
    with psycopg.connect(pg_url) as conn:  # an op rewritten in the hub's database behind its back
        conn.execute("UPDATE hub_op SET op = jsonb_set(op::jsonb, '{new,notes}', '\"modifié\"') WHERE seq = 1")
    found = cli("hub", "check", "--pg", pg_url, check=False)
    assert found.returncode == 1 and "content does not match its hash" in found.stdout


def test_conflicts_are_listed_in_arabic_and_french(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:  # an officer may not edit a site
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"name": "Renommé"})
    out, back = tmp_path / "tablet.bundle", tmp_path / "back.bundle"
    cli("sync", "export", "--db", tablet, "--out", out)
    cli("hub", "import", "--pg", pg_url, out)
    cli("hub", "export", "--pg", pg_url, "--device", _device_id(tablet), "--out", back)
    cli("sync", "import", "--db", tablet, back)
    french = cli("conflicts", "list", "--db", tablet).stdout
    assert "le rôle de l'utilisateur ne permet pas cette opération" in french and "Renommé" in french
    arabic = cli("--lang", "ar", "conflicts", "list", "--db", tablet).stdout
    assert "دور المستخدم لا يسمح بهذه العملية" in arabic
    [row] = json.loads(cli("conflicts", "list", "--db", tablet, "--json").stdout)
    assert (row["tbl"], row["reason"], row["kind"]) == ("site", "permission", "refused")
    with device(tablet) as c:  # the hub's name came back
        assert c.store.scalar("SELECT name FROM site WHERE id = ?", (team.sites[0],)) == "Café Anfa"


def _wait_for(predicate, proc, limit=60.0) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.slow
def test_kill_9_during_hub_import_and_sync_import(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    station = new_device(team, tmp_path, "coord")
    _officer_day(tablet, team, catalogue, 120)
    out = tmp_path / "tablet.bundle"
    cli("sync", "export", "--db", tablet, "--out", out)
    name = pg_url.rsplit("/", 1)[1]

    def ingesting() -> bool:
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            # the bundle's rows being read and locked: the start of the ingest, before any write
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND xact_start IS NOT NULL"
                                " AND query ILIKE %s", (name, "%= ANY(%) FOR UPDATE%")).fetchone()[0] > 0

    proc = spawn("hub", "import", "--pg", pg_url, out, "--out", tmp_path / "receipt")
    caught = _wait_for(ingesting, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with psycopg.connect(pg_url) as conn:  # all or nothing
        ops, rows = (conn.execute("SELECT count(*) FROM hub_op").fetchone()[0],
                     conn.execute("SELECT count(*) FROM inspection").fetchone()[0])
        assert (ops, rows) in ((0, 0), (ops, 120)) and (ops == 0) == (rows == 0)
        if caught:
            assert ops == 0
    cli("hub", "import", "--pg", pg_url, out, "--out", tmp_path / "receipt")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM inspection").fetchone()[0] == 120
    back = tmp_path / "station.bundle"
    cli("hub", "export", "--pg", pg_url, "--device", _device_id(station), "--out", back)
    proc = spawn("sync", "import", "--db", station, back)
    _wait_for(lambda: station.with_name(station.name + ".before-pull").exists(), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert_check_ok(station)
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection") in (0, 120)
    cli("sync", "import", "--db", station, back)
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection") == 120
        assert sync.status(c)["pending"] == 0
    assert_check_ok(station)
    cli("sync", "import", "--db", tablet, tmp_path / "receipt")
    with device(tablet) as c:
        assert sync.status(c)["pending"] == 0
