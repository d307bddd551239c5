"""The bundle's view of the hub's rows (``desktop.hub.state.BundleRows``) on a real hub: the rows
it reads (targets and parents, sent together) and what ``flush`` writes, one statement per table
and shape, with the values PostgreSQL stores being the ones decided."""
import math

import psycopg
import pytest

from desktop.domain.ids import uuid7
from desktop.hub.base import connect, schema
from desktop.hub.state import BundleRows, _as_json


def _site(team, name: str, district: int = 0, **values) -> dict:
    return {"id": uuid7(), "kind": "establishment", "name": name, "address": "", "activity": "",
            "district_id": team.districts[district], "lon": None, "lat": None, "owner_name": "",
            "owner_id_kind": "none", "owner_id_number": "", "created_at": "2026-06-01T08:00:00Z",
            "updated_at": "2026-06-01T08:00:00Z", "created_by": team.users["agent1"],
            "updated_by": team.users["agent1"], "device_id": "test", "version": 1, "deleted_at": None, **values}


def _op(table: str, row_id: str, new: dict) -> dict:
    return {"tbl": table, "row_id": row_id, "new": new}


def test_rows_read_at_once_targets_locked_and_parents(team):
    with connect(team.pg_url) as conn, conn.transaction():
        hub_schema = schema(conn)
        missing = uuid7()
        rows = BundleRows(conn, hub_schema, [
            _op("site", team.sites[0], {"name": "x"}), _op("site", missing, {"name": "y"}),
            _op("authorisation", uuid7(), {"site_id": team.sites[1]})])
        assert rows.get("site", team.sites[0])["name"] == "Café Anfa"
        assert rows.get("site", team.sites[1])["name"] == "Café Maarif"  # the authorisation's parent
        assert rows.get("site", missing) is None
        with psycopg.connect(team.pg_url, autocommit=True) as other:  # the ops' rows locked, not their parents
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT 1 FROM site WHERE id = %s FOR UPDATE NOWAIT", (team.sites[0],))
            other.execute("SELECT 1 FROM site WHERE id = %s FOR UPDATE NOWAIT", (team.sites[1],))


def test_flush_writes_new_and_changed_rows_by_table(team):
    with connect(team.pg_url) as conn:
        hub_schema = schema(conn)
        before = 1  # the seed's change number
        with conn.transaction():
            rows = BundleRows(conn, hub_schema, [_op("site", s, {}) for s in team.sites])
            new = [_site(team, "Épicerie Nour", lon=-7.61, lat=33.59), _site(team, "Four", 1, lon=None, lat=33.5)]
            for site in new:
                rows.insert("site", site)
            for site_id, name in zip(team.sites, ("Café Anfa II", "Café Maarif II")):  # same shape: one UPDATE
                rows.update("site", site_id, {"name": name, "version": 2})
            rows.touch("site", team.sites[0])
            rows.flush()
        got = {r["id"]: r for r in conn.execute("SELECT * FROM site WHERE hub_seq > %s", (before,))}
    assert set(got) == {new[0]["id"], new[1]["id"], *team.sites}
    for site in new:
        assert {c: got[site["id"]][c] for c in site} == site
    assert got[new[0]["id"]]["scope_district"] == team.districts[0]
    assert got[new[1]["id"]]["scope_district"] == team.districts[1]
    assert [got[s]["name"] for s in team.sites] == ["Café Anfa II", "Café Maarif II"]
    assert [got[s]["version"] for s in team.sites] == [2, 2]
    assert len({r["hub_seq"] for r in got.values()}) == 4  # each row its own change number


def test_a_value_json_would_change_goes_as_a_parameter(team):
    assert _as_json([{"lon": math.nan}]) is None and _as_json([{"v": True}]) is None
    assert _as_json([{"lon": 1.5, "n": 2, "s": "é", "x": None}]) == '[{"lon": 1.5, "n": 2, "s": "\\u00e9", "x": null}]'
    with connect(team.pg_url) as conn:
        with conn.transaction():
            rows = BundleRows(conn, schema(conn), [])
            odd = _site(team, "Kiosque", lon=math.nan, lat=33.6)
            rows.insert("site", odd)
            rows.flush()
        stored = conn.execute("SELECT lon, lat FROM site WHERE id = %s", (odd["id"],)).fetchone()
    assert math.isnan(stored["lon"]) and stored["lat"] == 33.6
