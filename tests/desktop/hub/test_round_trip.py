"""Device → hub → other device, on real SQLite files and a real PostgreSQL database."""
import psycopg

from desktop.services import sync
from desktop.store.inspections import get_inspection
from tests.builders import make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push, sync_device


def test_an_inspection_travels_from_one_device_to_another(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    station = new_device(team, tmp_path, "coord")
    with device(tablet, "agent1") as c:
        assert c.store.scalar("SELECT count(*) FROM site") == 1  # its arrondissement only
        hashes = dict(c.store.conn.execute("SELECT username, password_hash FROM [user]").fetchall())
        assert hashes["agent1"].startswith("$argon2id$") and hashes["coord"] == hashes["agent2"] == ""
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        assert sync.status(c)["pending"] > 3
    summary = push(tablet, pg_url)
    assert summary["conflicts"] == 0
    with device(tablet) as c:
        assert sync.status(c)["pending"] == 0
    sync_device(station, pg_url)
    with device(station) as c:
        got = get_inspection(c.store, inspection)
        assert got["site_id"] == team.sites[0]
        assert c.store.scalar("SELECT count(*) FROM finding WHERE inspection_id = ?", (inspection,)) == 1
        assert sync.status(c)["pending"] == 0  # pulled rows are not captured again
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM inspection WHERE id = %s", (inspection,)).fetchone()[0] == 1
    for path in (tablet, station):
        assert_check_ok(path)
