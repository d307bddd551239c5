"""A station's large pull in pages (``hub.pull.Page``): every page bounded, the pages together
the same replica as one body, the foreign keys held when the hub changes between two pages, a
sequence cut short going on from its last page (or a new replica left empty), a page place that
is stale or forged refused; a tablet's pull stays one body."""
import importlib
import json
import sqlite3

import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import init_hub, pull
from desktop.hub.pull import Page, page_of
from desktop.services import netsync, sync
from desktop.store import outbox
from desktop.store.errors import DatabaseBug
from desktop.services.jobs import Cancelled, Job
from tests.builders import PASSWORD, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push, sync_device
from tests.desktop.hub.test_replica import _assert_replica_is_the_hubs, _before_pull, _enrolled, _seals_are_the_tables

hub_pull = importlib.import_module("desktop.hub.pull")  # (the module: ``desktop.hub.pull`` names the function)


def _body(data: bytes) -> dict:
    return json.loads(json.loads(data)["body"])


def _own_rows(body: dict) -> int:
    return sum(len(t["rows"]) for t in body.get("tables", {}).values())


def _ids(body: dict) -> set[tuple[str, str]]:
    return {(name, row[t["columns"].index("id")]) for name, t in body.get("tables", {}).items() for row in t["rows"]}


class _Pages:
    """A device's fetch of the next pages, in process, each body kept; ``between(n)``: run before
    the n-th page (from 2) is read, as the hub changes meanwhile."""

    def __init__(self, pg_url: str, device_id: str, cursor: int, between=None):
        self.pg_url, self.device_id, self.cursor, self.between = pg_url, device_id, cursor, between
        self.bodies: list[dict] = []

    def first(self, place: dict | None = None) -> bytes:
        return self._keep(pull(self.pg_url, self.device_id, self.cursor, paged=True, page=page_of(place)))

    def __call__(self, place: dict) -> bytes:
        if self.between is not None:
            self.between(len(self.bodies) + 1)
        return self._keep(pull(self.pg_url, self.device_id, self.cursor, paged=True, page=page_of(place)))

    def _keep(self, data: bytes) -> bytes:
        self.bodies.append(_body(data))
        return data


@pytest.mark.slow
def test_a_station_takes_the_demo_commune_in_pages_the_same_as_in_one_body(tmp_path, demo_path, pg_url, monkeypatch):
    init_hub(pg_url, demo_path)
    whole, whole_id = _enrolled(tmp_path, pg_url, "coordinateur", "coord-demo", "whole")
    with device(whole) as c:
        one = sync.apply_pull(c, pull(pg_url, whole_id, 0))  # one body (not paged)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 1_000)
    paged, paged_id = _enrolled(tmp_path, pg_url, "coordinateur", "coord-demo", "paged")
    pages = _Pages(pg_url, paged_id, 0)
    with device(paged) as c:
        got = sync.apply_pulls(c, pages.first(), pages)
        assert sync.pull_position(c) == (got["cursor"], None)
    assert got["pages"] == len(pages.bodies) > 10 and got["cursor"] == one["cursor"]
    ids = [_ids(b) for b in pages.bodies]
    assert set().union(*ids) == _ids(_body(pull(pg_url, whole_id, 0))) and len(set().union(*ids)) == one["rows"]
    for n, page in enumerate(ids):  # at most 1,000 rows of its own; beside them, parents sent again
        again = page & set().union(*(other for m, other in enumerate(ids) if m != n))
        assert len(page - again) <= 1_000 and len(again) < 50
    assert all(b["cursor"] == 0 for b in pages.bodies[:-1]) and pages.bodies[-1]["cursor"] == one["cursor"]
    assert pages.bodies[0]["page"]["rows"] == one["rows"]
    assert "catalogue" in pages.bodies[0] and not any("catalogue" in b for b in pages.bodies[1:])
    assert _assert_replica_is_the_hubs(paged, pg_url, paged_id) == _assert_replica_is_the_hubs(whole, pg_url, whole_id)
    journaled = []
    for path in (paged, whole):  # one transaction: each table sealed once, as one body's, no row journaled one by one
        con = sqlite3.connect(path)
        assert con.execute("SELECT count(*) FROM journal WHERE op = 'sync_apply'").fetchone()[0] == 0
        journaled.append(sorted(r[0] for r in con.execute("SELECT entity FROM journal WHERE op = 'seal'")))
        con.close()
    assert journaled[0] == journaled[1]
    _seals_are_the_tables(paged)
    assert_check_ok(paged)
    assert not _before_pull(paged).exists()


def _more_work(team, station, catalogue, n: int) -> list[str]:
    """``n`` inspections (each with a finding) made on ``station`` and pushed."""
    with device(station, "coord") as c:
        made = [make_inspection(c.store, c.user, catalogue, team.sites[i % 2], field_code="hygiene",
                                findings=["HYG-01"]) for i in range(n)]
    push(station, team.pg_url)
    return made


def test_the_hub_changing_between_pages_keeps_foreign_keys_and_the_next_pull_brings_the_rest(
        tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    _more_work(team, writer, catalogue, 6)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 4)
    station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")

    def between(n: int) -> None:
        if n == 2:  # after the first page (districts, users, sites...): the sites change, new work comes
            with device(writer, "coord") as c:
                with c.store.transaction(c.user.id) as tx:
                    for site in team.sites:
                        tx.update("site", site, {"address": f"changed between pages {site[:4]}"})
            _more_work(team, writer, catalogue, 2)
    pages = _Pages(pg_url, station_id, 0, between)
    with device(station) as c:
        got = sync.apply_pulls(c, pages.first(), pages)
    assert got["pages"] == len(pages.bodies) > 3
    assert_check_ok(station)  # every inspection's site is there (closed over: changed after the bound)
    bound = pages.bodies[0]["page"]["bound"]
    assert got["cursor"] == bound and all(b["page"]["bound"] == bound for b in pages.bodies)
    with device(station) as c:  # the work after the bound: not in these pages
        assert c.store.scalar("SELECT count(*) FROM inspection") == 6
        state = sync.status(c)
        later = sync.apply_pull(c, pull(pg_url, state["device_id"], state["cursor"]))
        assert later["rows"] >= 4
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection") == 8
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)).startswith("changed")
    assert_check_ok(station)


def test_a_paged_pull_cut_short_goes_on_from_its_last_page_and_keeps_a_pending_row(
        tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    station = new_device(team, tmp_path, "coord", "station")  # a replica already: pages one by one
    made = _more_work(team, writer, catalogue, 8)
    with device(writer, "coord") as c:  # the site changes at the hub...
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[1], {"address": "à la mairie"})
    push(writer, pg_url)
    with device(station, "coord") as c:  # ...and on the station, not pushed yet
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[1], {"name": "Café Maarif (station)"})
        cursor, place = sync.pull_position(c)
        assert place is None
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    station_id = sync.status(device(station)).get("device_id")
    job = Job()
    pages = _Pages(pg_url, station_id, cursor, lambda n: job.cancel() if n == 3 else None)
    with device(station) as c:
        with pytest.raises(Cancelled):
            sync.apply_pulls(c, pages.first(), pages, job)
        cursor_now, place = sync.pull_position(c)
        # cancelled while its third page was read: three pages applied and kept, the fourth's place
        assert len(pages.bodies) == 3 and cursor_now == cursor and place == pages.bodies[2]["page"]["next"] is not None
        kept = c.store.scalar("SELECT count(*) FROM inspection WHERE id IN (SELECT value FROM json_each(?))",
                              (json.dumps(made),))
        assert 0 < kept < 8
    assert _before_pull(station).exists()  # the site: overwritten rows, a copy first (once)
    assert_check_ok(station)
    rest = _Pages(pg_url, station_id, cursor)
    with device(station) as c:
        got = sync.apply_pulls(c, rest.first(place), rest)
        # the site, kept back on the first page for the station's pending op: the cursor stays before it
        assert got["skipped"] == 0 and got["cursor"] < pages.bodies[0]["page"]["bound"]
        assert sync.pull_position(c) == (got["cursor"], None)
        assert c.store.scalar("SELECT name FROM site WHERE id = ?", (team.sites[1],)) == "Café Maarif (station)"
    sync_device(station, pg_url)
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    with device(station) as c:
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[1],)) == "à la mairie"
        assert c.store.scalar("SELECT count(*) FROM inspection") == 8
    assert_check_ok(station)


def test_a_new_replica_cut_short_is_left_empty_and_starts_again(tmp_path, empty_commune_path, pg_url, catalogue,
                                                                 monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    _more_work(team, new_device(team, tmp_path, "coord", "writer"), catalogue, 4)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 3)
    station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")

    def lost(n: int) -> None:
        if n == 3:
            raise Refusal("net.interrupted", url="test", detail="ReadError")
    pages = _Pages(pg_url, station_id, 0, lost)
    with device(station) as c:
        settings = [c.store.scalar(f"PRAGMA {name}") for name in ("cache_size", "foreign_keys")]
        with pytest.raises(Refusal):
            sync.apply_pulls(c, pages.first(), pages)
        assert c.store.scalar("SELECT count(*) FROM site") == 0 and c.store.scalar("SELECT count(*) FROM [user]") == 0
        assert sync.pull_position(c) == (0, None)
        assert [c.store.scalar(f"PRAGMA {name}") for name in ("cache_size", "foreign_keys")] == settings == [
            settings[0], 1]  # (the first pull's larger cache and foreign keys off: for its transaction only)
    assert_check_ok(station)
    again = _Pages(pg_url, station_id, 0)
    with device(station) as c:
        assert sync.apply_pulls(c, again.first(), again)["pages"] > 3
        assert [c.store.scalar(f"PRAGMA {name}") for name in ("cache_size", "foreign_keys")] == settings
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    assert_check_ok(station)


def test_a_page_place_that_is_stale_or_forged_is_refused(tmp_path, empty_commune_path, pg_url, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")
    first = _body(pull(pg_url, station_id, 0, paged=True))
    bound = first["page"]["bound"]
    for place in (Page(bound + 1_000, "site"), Page(bound, "no_such_table"), Page(bound, 'site"; DROP TABLE site; --')):
        with pytest.raises(Refusal) as refused:
            pull(pg_url, station_id, 0, paged=True, page=place)
        assert refused.value.key == "sync.page_stale"
    for forged in ({"bound": "1", "table": "site"}, {"bound": 1, "table": 3}, {"bound": 1}, ["site"],
                   {"bound": 1, "table": "site", "after": 5}, {"bound": 1, "table": "si\x00te"},
                   {"bound": 1, "table": "site", "after": "a\x00b"}):  # (U+0000: PostgreSQL's text cannot hold it)
        with pytest.raises(Refusal) as refused:
            page_of(forged)
        assert refused.value.key == "net.bad_request"
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM site").fetchone()[0] == 2
    # an id in the place is a value, never SQL
    odd = _body(pull(pg_url, station_id, 0, paged=True, page=Page(bound, "site", "' OR 1=1 --")))
    assert odd["page"]["bound"] == bound


def test_a_tablet_pull_stays_one_body_and_a_reviewer_gets_no_password_hash_in_pages(
        tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    _more_work(team, new_device(team, tmp_path, "coord", "writer"), catalogue, 3)
    with psycopg.connect(team.pg_url) as conn:  # the governor's services' reader: the whole commune, not a station
        columns = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns"
                                              " WHERE table_name = 'user' AND column_name <> 'hub_seq'")]
        values = ", ".join({"id": "'revue-id'", "username": "'revue'", "role": "'reviewer'"}.get(c, f'"{c}"')
                           for c in columns)
        conn.execute(f'INSERT INTO "user" ({", ".join(chr(34) + c + chr(34) for c in columns)})'
                     f" SELECT {values} FROM \"user\" WHERE username = 'coord'")
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    tablet, tablet_id = _enrolled(tmp_path, pg_url, "agent1", name="tablet")
    body = _body(pull(pg_url, tablet_id, 0, paged=True))
    assert "page" not in body and _own_rows(body) > 2  # its arrondissement: one body
    reader, reader_id = _enrolled(tmp_path, pg_url, "revue", name="reader")
    pages = _Pages(pg_url, reader_id, 0)
    with device(reader) as c:
        assert sync.apply_pulls(c, pages.first(), pages)["pages"] > 3
        hashes = dict(c.store.conn.execute("SELECT username, password_hash FROM [user]").fetchall())
    assert hashes["revue"] and set(hashes) >= {"coord", "agent1", "agent2"}
    assert all(not value for name, value in hashes.items() if name != "revue")
    with device(reader) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection") == 3 and c.store.scalar("SELECT count(*) FROM site") == 2
    assert_check_ok(reader)


def _place(path, cursor: int, following: dict) -> None:
    """The device's kept place of a paged pull cut short (as ``apply_pulls`` keeps it)."""
    with device(path) as c:
        with c.store.transaction(None) as tx:
            tx.capture = False
            outbox.set_state(tx.conn, "pull_page", json.dumps({"since": cursor, "bound": following["bound"],
                                                               "next": following, "low": None, "backup": False}))


def test_over_http_a_kept_place_is_asked_for_and_a_stale_one_starts_again(hub, team, tmp_path, catalogue):
    station = tmp_path / "station.sqlite"
    netsync.enroll_device(station, hub.url, "coord", PASSWORD)
    writer = new_device(team, tmp_path, "coord", "writer")
    _more_work(team, writer, catalogue, 3)
    with device(station) as c:
        cursor = sync.status(c)["cursor"]
    _place(station, cursor, {"bound": 10 ** 12, "table": "site", "after": None})  # no hub gave it
    result = netsync.sync_now(station)  # refused as stale: started again from the cursor
    assert result.pull["pages"] == 1 and result.pull["rows"] >= 6
    with device(station) as c:
        assert sync.pull_position(c) == (result.status["cursor"], None)
        assert c.store.scalar("SELECT count(*) FROM inspection") == 3
    made = _more_work(team, writer, catalogue, 2)
    with device(writer, "coord") as c:
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", team.sites[0], {"address": "avant la place"})
    push(writer, team.pg_url)
    with psycopg.connect(team.pg_url) as conn:
        bound = conn.execute("SELECT last_value FROM hub_change_seq").fetchone()[0]
    cursor = result.status["cursor"]
    # a place at the inspections (the tables before them done): the hub reads it from the query
    _place(station, cursor, {"bound": bound, "table": "inspection", "after": ""})
    result = netsync.sync_now(station)
    # the kept sequence's last page, then a pull from its bound (what changed since: nothing here)
    assert result.status["cursor"] == bound and result.pull["pages"] == 2
    with device(station) as c:
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE id IN (SELECT value FROM json_each(?))",
                              (json.dumps(made),)) == 2
        # the place said the tables before the inspections were done: the site's change was not
        # asked for (the hub read the place from the query; a pull from the cursor brings it)
        assert c.store.scalar("SELECT address FROM site WHERE id = ?", (team.sites[0],)) != "avant la place"
    assert_check_ok(station)


@pytest.mark.parametrize("new_replica", [True, False])
def test_a_hub_answering_the_same_page_again_stops_the_sync(tmp_path, empty_commune_path, pg_url, catalogue,
                                                            monkeypatch, new_replica):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    _more_work(team, new_device(team, tmp_path, "coord", "writer"), catalogue, 3)
    if new_replica:
        station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")
        cursor = 0
    else:
        station = new_device(team, tmp_path, "coord", "station")
        _more_work(team, new_device(team, tmp_path, "coord", "writer2"), catalogue, 3)
        with device(station) as c:
            station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    first = pull(pg_url, station_id, cursor, paged=True)
    second = pull(pg_url, station_id, cursor, paged=True, page=page_of(_body(first)["page"]["next"]))
    with device(station) as c:  # (a broken hub: the second page, whatever place is asked)
        with pytest.raises(Refusal) as refused:
            sync.apply_pulls(c, first, lambda place: second)
    assert refused.value.key == "sync.page_stale"
    assert_check_ok(station)


def test_a_page_the_replica_cannot_take_drops_its_place(tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    station = new_device(team, tmp_path, "coord", "station")
    _more_work(team, new_device(team, tmp_path, "coord", "writer"), catalogue, 4)
    with device(station) as c:
        station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    pulls = importlib.import_module("desktop.services.pulls")
    applied = pulls._apply_opened

    def second_page_breaks(commune, body):
        if body["page"]["next"] is None or applied_pages:
            raise DatabaseBug("IntegrityError: FOREIGN KEY constraint failed (as a broken page would)")
        applied_pages.append(body)
        return applied(commune, body)
    applied_pages: list = []
    monkeypatch.setattr(pulls, "_apply_opened", second_page_breaks)
    pages = _Pages(pg_url, station_id, cursor)
    with device(station) as c:
        with pytest.raises(DatabaseBug):
            sync.apply_pulls(c, pages.first(), pages)
        # its place dropped: the next sync starts again from the cursor (a new bound), not the same page
        assert sync.pull_position(c) == (cursor, None)
    monkeypatch.setattr(pulls, "_apply_opened", applied)
    with device(station) as c:
        sync.pull_all(c, lambda cu, place: pull(pg_url, station_id, cu, paged=True, page=page_of(place)))
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    assert_check_ok(station)
