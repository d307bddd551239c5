"""``hub upgrade``: a hub left at an older schema while the devices moved to a newer application
refuses their bundles clearly; upgraded from the coordinator's commune it gains the new table and
column (filled from that commune), and the devices sync again. What it cannot follow by adding is
refused before anything is written."""
import json

import psycopg
import pytest
from psycopg.rows import dict_row

from desktop.domain.errors import Refusal
from desktop.hub import ingest
from desktop.hub.base import verify_journal
from desktop.hub.upgrade import upgrade_hub
from desktop.services import sync
from desktop.store.migrations import LATEST
from tests.builders import make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, sync_device
from tests.desktop.hub.test_files_and_kill import cli


def _schema(pg_url) -> dict:
    with psycopg.connect(pg_url) as conn:
        return json.loads(conn.execute("SELECT value FROM hub_meta WHERE key = 'schema'").fetchone()[0])


def _set_schema(pg_url, schema: dict) -> None:
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE hub_meta SET value = %s WHERE key = 'schema'", (json.dumps(schema),))


def _as_before_a_migration(pg_url) -> None:
    """The hub as the previous version made it: without ``site.activity`` and ``programme_brigade``."""
    schema = _schema(pg_url)
    del schema["columns"]["site"]["activity"]
    del schema["columns"]["programme_brigade"], schema["fks"]["programme_brigade"]
    schema["version"] = LATEST - 1
    with psycopg.connect(pg_url) as conn:
        conn.execute('ALTER TABLE site DROP COLUMN activity')
        conn.execute('DROP TABLE programme_brigade')
    _set_schema(pg_url, schema)


def test_an_old_hub_refuses_then_upgraded_the_devices_sync_again(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    with device(team.seed) as c:  # the coordinator's commune: an activity the migration "computed"
        with c.store.transaction(team.users["coord"]) as tx:
            tx.update("site", team.sites[0], {"activity": "café"})
    tablet = new_device(team, tmp_path, "agent1")
    _as_before_a_migration(pg_url)
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        with pytest.raises(Refusal) as refused:
            ingest(pg_url, sync.make_bundle(c))
    assert refused.value.key == "sync.hub_older"  # the hub is the older: the message names it
    assert refused.value.params == {"device": LATEST, "hub": LATEST - 1}

    result = upgrade_hub(pg_url, team.seed)
    assert result == {"from": LATEST - 1, "to": LATEST, "tables": ["programme_brigade"],
                      "columns": {"site": ["activity"]}}
    with psycopg.connect(pg_url, row_factory=dict_row) as conn:
        activities = {r["id"]: r["activity"] for r in conn.execute("SELECT id, activity FROM site")}
        assert verify_journal(conn) == []
        assert conn.execute("SELECT detail FROM hub_journal WHERE kind = 'upgrade'").fetchone() is not None
    assert activities[team.sites[0]] == "café" and activities[team.sites[1]] == ""
    assert _schema(pg_url)["columns"]["site"]["activity"] == "TEXT"

    sync_device(tablet, pg_url)  # the pending inspection goes through, the new column comes back
    assert_check_ok(tablet)
    with device(tablet) as c:
        assert sync.status(c)["pending"] == 0
        assert c.store.scalar("SELECT activity FROM site WHERE id = ?", (team.sites[0],)) == "café"
    assert upgrade_hub(pg_url, team.seed) == {"from": LATEST, "to": LATEST, "tables": [], "columns": {}}


def test_what_adding_cannot_follow_is_refused_before_anything_is_written(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    schema = _schema(pg_url)
    schema["columns"]["site"]["legacy_code"] = "TEXT"          # a column the new version dropped
    schema["columns"]["inspection"]["lon"] = "TEXT"            # a type changed
    schema["version"] = LATEST - 1
    _set_schema(pg_url, schema)
    with pytest.raises(Refusal) as refused:
        upgrade_hub(pg_url, team.seed)
    assert refused.value.key == "sync.hub_upgrade_unsupported"
    assert "site.legacy_code (column removed)" in refused.value.params["detail"]
    assert "inspection.lon (TEXT → REAL)" in refused.value.params["detail"]
    assert _schema(pg_url) == schema

    schema["version"] = LATEST + 1
    _set_schema(pg_url, schema)
    done = cli("hub", "upgrade", "--pg", pg_url, "--from", team.seed, check=False)
    assert done.returncode != 0 and "plus récent" in done.stderr


def test_the_command_upgrades_and_says_what_it_added(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    _as_before_a_migration(pg_url)
    done = cli("hub", "upgrade", "--pg", pg_url, "--from", team.seed)
    assert f"schéma {LATEST} (il était au {LATEST - 1})" in done.stdout and "ajoutées : 2" in done.stdout
