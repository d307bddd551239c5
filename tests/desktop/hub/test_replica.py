"""A new device's replica: equal row for row to the hub's rows in its scope and the rows they
refer to, whole by ``check``, written without a ``before-pull`` copy (it holds nothing of its own
to lose); later pulls incremental, a pending local row kept; a pull of another layout or schema,
or one that breaks a foreign key, refused with nothing written."""
import json
import sqlite3

import psycopg
import pytest

from desktop.domain import bundle, pullformat
from desktop.domain.errors import Refusal
from desktop.domain.sync import TABLES
from desktop.hub import enroll, ingest, init_hub, pull
from desktop.hub.base import connect, hub_key
from desktop.hub.pull import pull_body
from desktop.services import sync
from desktop.store import rowhash
from desktop.store.migrations import LATEST
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push, sync_device


def _enrolled(tmp_path, pg_url, username, password=PASSWORD, name=None) -> tuple:
    """A device enrolled for ``username``, not pulled yet: (path, device id)."""
    path = tmp_path / f"{name or username}.sqlite"
    private, public = sync.generate_device_key()
    enrolment = enroll(pg_url, username, password, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    return path, enrolment["device_id"]


def _before_pull(path):
    return path.with_name(path.name + ".before-pull")


def _assert_replica_is_the_hubs(path, pg_url, device_id) -> dict[str, int]:
    """Every row of the replica is the hub's row (all columns, another user's password hash
    blanked); every hub row in the device's scope is there; every row outside it is one that a
    replica row refers to. Returns the replica's row counts."""
    con = sqlite3.connect(path)
    with psycopg.connect(pg_url) as hub:
        scope, user_id, full = hub.execute("SELECT scope_district, user_id, full_scope FROM hub_device"
                                           " WHERE device_id = %s", (device_id,)).fetchone()
        tables = [t for t in TABLES if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (t,)).fetchone()]
        held, referenced, counts = {}, set(), {}
        for table in tables:
            cols = rowhash.columns(con, table)
            mine = {r[0]: r for r in con.execute(f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM [{table}]")}
            theirs = {r[0]: r for r in hub.execute(
                f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)}, scope_district FROM "{table}"')}
            for row_id, row in mine.items():
                expected = theirs[row_id][:-1]
                if table == "user" and not full and row_id != user_id:
                    expected = tuple("" if c == "password_hash" else v for c, v in zip(cols, expected))
                assert row == expected, (table, row_id)
            whole = not TABLES[table].scope or (full and not scope)  # the whole commune's station
            in_scope = {i for i, r in theirs.items() if whole or r[-1] == scope}
            assert in_scope <= set(mine), (table, len(in_scope - set(mine)))
            held[table] = set(mine) - in_scope
            for _, column, parent in [(r[0], r[3], r[2]) for r in con.execute(f"PRAGMA foreign_key_list([{table}])")]:
                at = cols.index(column)
                referenced |= {(parent, r[at]) for r in mine.values() if r[at]}
            counts[table] = len(mine)
    con.close()
    for table, extra in held.items():
        assert {(table, i) for i in extra} <= referenced, table  # outside its scope only when referred to
    return counts


def _seals_are_the_tables(path) -> None:
    """The journal's last seal of each table is what ``check`` recomputes from the stored rows."""
    con = sqlite3.connect(path)
    sealed = {}
    for table, changes in con.execute("SELECT entity, changes FROM journal WHERE op = 'seal' ORDER BY seq"):
        sealed[table] = json.loads(changes)["_seal"]
    for table, seal in sealed.items():
        assert seal == rowhash.seal(con, table), table
    con.close()


@pytest.mark.slow
def test_a_new_tablet_holds_its_arrondissement_of_the_demo_commune(tmp_path, demo_path, pg_url):
    init_hub(pg_url, demo_path)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent001", "agent-demo", "tablet")
    with device(tablet) as c:
        result = sync.apply_pull(c, pull(pg_url, device_id, 0))
        assert result["skipped"] == 0 and result["cursor"] > 0
        assert sync.status(c)["pending"] == 0  # pulled rows are not captured
    assert not _before_pull(tablet).exists()  # nothing of its own to lose: no copy taken
    counts = _assert_replica_is_the_hubs(tablet, pg_url, device_id)
    assert counts["inspection"] > 50 and counts["finding"] > 0 and result["rows"] == sum(counts.values())
    con = sqlite3.connect(tablet)
    followups = con.execute("SELECT count(*) FROM inspection WHERE followup_of IS NOT NULL").fetchone()[0]
    assert followups > 0  # rows that refer to rows of their own table came too
    assert con.execute("SELECT count(*) FROM journal WHERE op = 'sync_apply'").fetchone()[0] == 0  # sealed
    con.close()
    _seals_are_the_tables(tablet)
    assert_check_ok(tablet)
    with device(tablet) as c:  # foreign keys enforced again on the connection that pulled
        assert c.store.scalar("PRAGMA foreign_keys") == 1


def test_a_second_pull_is_incremental_and_keeps_a_pending_row(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    with device(tablet) as c:
        first = sync.apply_pull(c, pull(pg_url, device_id, 0))
    assert not _before_pull(tablet).exists()
    assert_check_ok(tablet)
    station = new_device(team, tmp_path, "coord")
    with device(station, "coord") as c:  # the hub changes: in the tablet's arrondissement and outside it
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                     findings=["HYG-01"])
        make_inspection(c.store, c.user, catalogue, team.sites[1], field_code="hygiene")
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"address": "3 rue de la Plage"})
            tx.update("site", team.sites[1], {"address": "4 rue du Marché"})
    push(station, pg_url)
    with device(tablet, "agent1") as c:  # meanwhile the tablet renames its site (not pushed yet)
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"name": "Café Anfa (sur la tablette)"})
        second = sync.apply_pull(c, pull(pg_url, device_id, first["cursor"]))
        assert second["skipped"] == 1  # the site: kept until the hub has answered the tablet's op
        assert 0 < second["rows"] < 10  # what changed, not the whole replica again
        site = c.store.query("SELECT name, address FROM site WHERE id = ?", (team.sites[0],))[0]
        assert site == {"name": "Café Anfa (sur la tablette)", "address": "1 rue du Test"}
        assert second["cursor"] < json.loads(json.loads(pull(pg_url, device_id, first["cursor"]))["body"])["cursor"]
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE id = ?", (inspection,)) == 1
        assert c.store.scalar("SELECT count(*) FROM site WHERE id = ?", (team.sites[1],)) == 0
        assert c.store.scalar("SELECT count(*) FROM journal WHERE op = 'sync_apply'") == second["rows"]
    assert _before_pull(tablet).exists()  # it held rows: copied first
    assert_check_ok(tablet)
    sync_device(tablet, pg_url)  # the hub answers the tablet's op; the next pull brings the hub's site
    _assert_replica_is_the_hubs(tablet, pg_url, device_id)
    with device(tablet) as c:
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)) == "3 rue de la Plage"
    assert_check_ok(tablet)


def _resigned(pg_url, body: dict) -> bytes:
    with connect(pg_url) as conn:
        return bundle.seal({k: v for k, v in body.items() if k != "format"}, hub_key(conn))


def _body(pg_url, device_id) -> dict:
    with connect(pg_url) as conn:
        return pull_body(conn, device_id, 0)


def test_a_pull_of_another_layout_or_schema_is_refused(tmp_path, empty_commune_path, pg_url):
    make_team(tmp_path, empty_commune_path, pg_url)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    body = _body(pg_url, device_id)
    old = {k: v for k, v in body.items() if k not in ("layout", "tables")}  # a dictionary per row (layout 1)
    old["rows"] = {t: [{**r, "hub_seq": s} for r, s in zip(p.dicts(), p.seqs())]
                   for t, p in pullformat.tables(body).items()}
    with device(tablet) as c:
        with pytest.raises(Refusal) as refused:
            sync.apply_pull(c, _resigned(pg_url, old))
        assert refused.value.code == "sync.pull_layout" and refused.value.params["found"] == "1"
        with pytest.raises(Refusal) as refused:
            sync.apply_pull(c, _resigned(pg_url, {**body, "layout": 3}))
        assert refused.value.code == "sync.pull_layout"
        with pytest.raises(Refusal) as refused:
            sync.apply_pull(c, _resigned(pg_url, {**body, "schema": LATEST + 1}))
        assert refused.value.code == "sync.device_older"  # the hub is newer: this device is to update
        assert refused.value.params == {"device": LATEST, "hub": LATEST + 1}
        with pytest.raises(Refusal) as refused:
            sync.apply_pull(c, _resigned(pg_url, {**body, "schema": LATEST - 1}))
        assert refused.value.code == "sync.hub_older" and refused.value.params == {"device": LATEST, "hub": LATEST - 1}
        assert c.store.scalar("SELECT count(*) FROM site") == 0 and sync.status(c)["cursor"] == 0
        assert sync.apply_pull(c, _resigned(pg_url, body))["rows"] > 0  # the genuine one goes in
        assert c.store.scalar("SELECT count(*) FROM site") == 1
    assert_check_ok(tablet)


def test_a_first_pull_missing_a_parent_is_refused_whole(tmp_path, empty_commune_path, pg_url):
    make_team(tmp_path, empty_commune_path, pg_url)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    body = _body(pg_url, device_id)
    broken = {**body, "tables": {t: v for t, v in body["tables"].items() if t != "district"}}
    with device(tablet) as c:
        with pytest.raises(Exception, match="FOREIGN KEY"):
            sync.apply_pull(c, _resigned(pg_url, broken))
        assert c.store.scalar("SELECT count(*) FROM site") == 0 and c.store.scalar("SELECT count(*) FROM user") == 0
        assert sync.status(c)["cursor"] == 0
        assert c.store.scalar("PRAGMA foreign_keys") == 1
        sync.apply_pull(c, _resigned(pg_url, body))
    _assert_replica_is_the_hubs(tablet, pg_url, device_id)
    assert_check_ok(tablet)


def test_ingest_and_pull_still_agree_after_a_replica_taken_whole(tmp_path, empty_commune_path, pg_url, catalogue):
    """The station's first pull (the whole commune) and then a tablet's work coming to it."""
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station, station_id = _enrolled(tmp_path, pg_url, "coord")
    with device(station) as c:
        sync.apply_pull(c, pull(pg_url, station_id, 0))
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-01"])
        receipt = ingest(pg_url, sync.make_bundle(c))
        sync.apply_receipt(c, receipt)
    sync_device(station, pg_url)
    counts = _assert_replica_is_the_hubs(station, pg_url, station_id)
    assert counts["inspection"] == 1 and counts["site"] == 2
    assert_check_ok(station)


def test_a_copy_is_taken_before_a_pull_only_when_it_could_overwrite(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet, device_id = _enrolled(tmp_path, pg_url, "agent1")
    with device(tablet) as c:
        first = sync.apply_pull(c, pull(pg_url, device_id, 0))
        idle = sync.apply_pull(c, pull(pg_url, device_id, first["cursor"]))  # nothing new: nothing to overwrite
        assert idle["rows"] == 0 and idle["cursor"] == first["cursor"]
    assert not _before_pull(tablet).exists()
    with device(tablet, "agent1") as c:  # work of its own; a pull that brings nothing new overwrites nothing
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
        cursor = sync.apply_pull(c, pull(pg_url, device_id, first["cursor"]))["cursor"]
    assert not _before_pull(tablet).exists()
    station = new_device(team, tmp_path, "coord")
    with device(station, "coord") as c:  # another brigade's new visit: the pull only adds it
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
    push(station, pg_url)
    with device(tablet) as c:
        added = sync.apply_pull(c, pull(pg_url, device_id, cursor))
        assert added["rows"] >= 1 and c.store.scalar("SELECT count(*) FROM inspection") == 2
    assert not _before_pull(tablet).exists()
    with device(station, "coord") as c:  # a row the tablet holds changes at the hub: copied first
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"address": "5 avenue de la Mer"})
    push(station, pg_url)
    with device(tablet) as c:
        sync.apply_pull(c, pull(pg_url, device_id, added["cursor"]))
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)) == "5 avenue de la Mer"
    assert _before_pull(tablet).exists()
    with device(_before_pull(tablet)) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection") == 2  # the copy holds the tablet's work
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)) != "5 avenue de la Mer"
    assert_check_ok(tablet)
