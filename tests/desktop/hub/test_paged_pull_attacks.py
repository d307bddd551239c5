"""The paged pull attacked (a second reviewer's tests, each a finding fixed): a hub changing
between pages (an unscoped parent, an erasure, an ingest waiting for the lock), forged places
over HTTP and from a tablet, the rows a page closes over (a chain of follow-ups), a middle page
into empty tables, a station resuming after its own push."""
import importlib
import json
from datetime import date

import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.hub import pull
from desktop.hub.pull import Page, page_of
from desktop.services import sync
from desktop.store.programmes import Brigade, ProgrammeInput, create_programme
from tests.builders import make_inspection, make_site
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push
from tests.desktop.hub.test_paged_pull import _Pages, _body
from tests.desktop.hub.test_replica import _enrolled

hub_pull = importlib.import_module("desktop.hub.pull")


def _programme(team, writer) -> str:
    with device(writer, "coord") as c:
        start = date(2026, 12, 7)
        brigades = [Brigade(start, team.users["agent1"], None, team.districts[0]),
                    Brigade(start, team.users["agent2"], None, team.districts[1])]
        pid = create_programme(c.store, c.actor, ProgrammeInput("Semaine test", "weekly", start, start, list(team.districts),
                                                                ["hygiene"], brigades, target_visits=8))
    push(writer, team.pg_url)
    return pid


def _rename_programme(team, writer, pid: str) -> None:
    with device(writer, "coord") as c:
        with c.store.transaction(c.user.id) as tx:
            tx.update("programme", pid, {"title": "renommé entre deux pages"})
    assert push(writer, team.pg_url)["acknowledged"] >= 1


@pytest.mark.parametrize("new_replica", [True, False])
def test_an_unscoped_parent_changed_between_pages_keeps_foreign_keys(tmp_path, empty_commune_path, pg_url,
                                                                      catalogue, monkeypatch, new_replica):
    """A programme (no scope: ``_close_over_parents`` skips it) made after the station's cursor,
    renamed after the sequence's bound but before its own page is read: the programme_brigade
    rows (scoped, later table, hub_seq <= bound) arrive without it."""
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    if new_replica:
        station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")
        cursor = 0
    else:
        station = new_device(team, tmp_path, "coord", "station")
        with device(station) as c:
            station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with device(writer, "coord") as c:  # some sites after the cursor: the programmes' page is not the first
        for n in range(4):
            make_site(c.store, name=f"Site {n}", district_id=team.districts[n % 2])
    push(writer, pg_url)
    pid = _programme(team, writer)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    pages = _Pages(pg_url, station_id, cursor, lambda n: _rename_programme(team, writer, pid) if n == 2 else None)
    with device(station) as c:
        try:
            sync.apply_pulls(c, pages.first(), pages)
            failed = None
        except Exception as exc:  # noqa: BLE001
            failed = exc
    sent = [b for b in pages.bodies if "programme_brigade" in b.get("tables", {})]
    has_parent = any("programme" in b.get("tables", {}) for b in pages.bodies)
    print("pages", len(pages.bodies), "brigade pages", len(sent), "programme sent", has_parent, "error", repr(failed))
    assert failed is None, f"paged pull failed: {failed!r}"
    assert_check_ok(station)
    if not new_replica:  # and it goes on: the next sync from its kept place
        with device(station) as c:
            cur, place = sync.pull_position(c)
            sync.pull_all(c, lambda cu, pl: pull(pg_url, station_id, cu, paged=True, page=page_of(pl)))


def test_a_forged_place_over_http_is_a_refusal_not_a_server_error(hub, team, tmp_path):
    """A station's signed request with an ``after`` holding a NUL byte (or a place whose table the
    pull does not read): a 4xx refusal, never the hub's 500."""
    from desktop.services import netsync
    from tests.builders import PASSWORD
    station = tmp_path / "station.sqlite"
    netsync.enroll_device(station, hub.url, "coord", PASSWORD)
    with device(station) as c:
        bound = sync.status(c)["cursor"]
    got = {}
    with netsync.client_for(station) as client:
        for after in ("\x00", "a\x00b"):
            try:
                client.pull(0, {"bound": bound, "table": "site", "after": after})
                got[after] = "ok"
            except Refusal as exc:
                got[after] = exc.key
    print("answers:", got)
    assert all(key not in ("net.hub_error",) for key in got.values()), got


def test_a_tablet_sending_a_place_gets_its_arrondissement_only(team, tmp_path):
    tablet, tablet_id = _enrolled(tmp_path, team.pg_url, "agent1", name="tablet")
    with psycopg.connect(team.pg_url) as conn:
        bound = conn.execute("SELECT last_value FROM hub_change_seq").fetchone()[0]
    for place in (Page(bound, "site"), Page(bound, "site", ""), Page(bound, "inspection", None)):
        body = _body(pull(team.pg_url, tablet_id, 0, paged=True, page=place))
        assert "page" not in body
        sites = body["tables"]["site"]
        ids = {r[sites["columns"].index("id")] for r in sites["rows"]}
        assert ids == {team.sites[0]}, ids


def test_a_page_of_follow_ups_stays_near_its_bound(tmp_path, empty_commune_path, pg_url, catalogue, monkeypatch):
    """A chain of follow-up inspections (each ``followup_of`` the one before): with PAGE_ROWS = 2
    a page should hold about two inspections (plus few parents), not the whole chain."""
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    chain = []
    with device(writer, "coord") as c:
        for _ in range(30):
            extra = {"origin_type": "follow_up", "origin_ref": chain[-1]} if chain else {}
            chain.append(make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", **extra))
    push(writer, pg_url)
    with psycopg.connect(pg_url) as conn:
        linked = conn.execute("SELECT count(*) FROM inspection WHERE followup_of IS NOT NULL").fetchone()[0]
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")
    pages = _Pages(pg_url, station_id, 0)
    with device(station) as c:
        sync.apply_pulls(c, pages.first(), pages)
    sizes = [len(b.get("tables", {}).get("inspection", {}).get("rows", [])) for b in pages.bodies]
    total = sum(sizes)
    print("follow-ups", linked, "inspections per page", sizes, "sent", total, "for", len(chain))
    assert_check_ok(station)
    assert max(sizes) <= 2 + 2, sizes


def test_a_station_resuming_its_place_after_a_push_of_its_own_converges(tmp_path, empty_commune_path, pg_url,
                                                                         catalogue, monkeypatch):
    from desktop.services.jobs import Cancelled, Job
    from tests.desktop.hub.test_replica import _assert_replica_is_the_hubs
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    with device(writer, "coord") as c:
        old = [make_inspection(c.store, c.user, catalogue, team.sites[i % 2], field_code="hygiene") for i in range(4)]
    push(writer, pg_url)
    station = new_device(team, tmp_path, "coord", "station")
    with device(station) as c:
        station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with device(writer, "coord") as c:  # at the hub after the station's cursor: old ones changed, new ones
        with c.store.transaction(c.user.id) as tx:
            for i in old:
                tx.update("inspection", i, {"notes": "hub"})
            tx.update("site", team.sites[1], {"address": "hub"})
        [make_inspection(c.store, c.user, catalogue, team.sites[i % 2], field_code="hygiene") for i in range(4)]
    push(writer, pg_url)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    job = Job()
    pages = _Pages(pg_url, station_id, cursor, lambda n: job.cancel() if n == 2 else None)
    with device(station) as c:
        with pytest.raises(Cancelled):
            sync.apply_pulls(c, pages.first(), pages, job)
        print("kept place", sync.pull_position(c))
    with device(station, "coord") as c:  # the station's own work, then its push (sync_now's order)
        with c.store.transaction(c.user.id) as tx:
            tx.update("inspection", old[0], {"notes": "station"})
            tx.update("site", team.sites[0], {"address": "station"})
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
    print("receipt", push(station, pg_url))
    with device(writer, "coord") as c:  # and the hub moves on meanwhile
        with c.store.transaction(c.user.id) as tx:
            tx.update("inspection", old[1], {"notes": "hub again"})
    push(writer, pg_url)
    with device(station) as c:
        got = sync.pull_all(c, lambda cu, pl: pull(pg_url, station_id, cu, paged=True, page=page_of(pl)))
        print("pull_all", got, "status", {k: sync.status(c)[k] for k in ("cursor", "pending", "conflicts")})
        assert sync.status(c)["pending"] == 0
    _assert_replica_is_the_hubs(station, pg_url, station_id)
    assert_check_ok(station)


@pytest.mark.parametrize("new_replica", [True, False])
def test_an_erasure_between_pages_leaves_no_erased_value_on_the_station(team, tmp_path, monkeypatch, new_replica):
    """A site's owner (CIN) sent in a page, then erased at the hub (Law 09-08) before the
    sequence's last page: after the sync (the sequence, then the pull from its bound) the station
    holds the erased row and no file of it holds the CIN."""
    from desktop.services import privacy
    from tests.desktop.hub.test_erase_device import _on_disk
    cin = "BK991122"
    admin = new_device(team, tmp_path, "admin")
    if new_replica:
        station, station_id = _enrolled(tmp_path, team.pg_url, "coord", name="station")
        cursor = 0
    else:
        station = new_device(team, tmp_path, "coord", "station")
        with device(station) as c:
            station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with device(admin) as c:
        site = make_site(c.store, owner_name="Owner Erased", owner_id_kind="cin", owner_id_number=cin,
                         district_id=team.districts[0])
        for n in range(6):
            make_site(c.store, name=f"Other {n}", district_id=team.districts[n % 2])
    push(admin, team.pg_url)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    state = {}

    def between(n: int) -> None:
        if not state and any(cin in json.dumps(b) for b in pages.bodies):  # the CIN sent: erased now
            with device(admin, "admin") as c:
                state["purged"] = privacy.purge(c.store, c.user, date.today()).sites
            push(admin, team.pg_url)
    pages = _Pages(team.pg_url, station_id, cursor, between)
    with device(station) as c:
        sync.apply_pulls(c, pages.first(), pages)
        got = sync.pull_all(c, lambda cu, pl: pull(team.pg_url, station_id, cu, paged=True, page=page_of(pl)))
        owner = c.store.scalar("SELECT owner_id_number FROM site WHERE id = ?", (site,))
    print("purged", state, "pages", len(pages.bodies), "then", got, "owner now", repr(owner),
          "files with the CIN", _on_disk(station, cin))
    assert state["purged"] == 1 and owner == "" and _on_disk(station, cin) == []
    assert_check_ok(station)


def test_a_middle_page_into_empty_tables_keeps_the_place_of_the_sequence(tmp_path, empty_commune_path, pg_url,
                                                                           catalogue, monkeypatch):
    """A station with rows but no op of its own (``_nothing_to_overwrite`` of one page's tables):
    a middle page whose tables it holds nothing of goes through ``_apply_first_pull``, which
    writes the cursor and clears ``pull_page``; cut short after it, the sequence should go on
    from its next page."""
    from desktop.services.jobs import Cancelled, Job
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    station = new_device(team, tmp_path, "coord", "station")
    with device(station) as c:
        station_id, cursor = sync.status(c)["device_id"], sync.status(c)["cursor"]
    with device(writer, "coord") as c:
        for n in range(4):
            make_site(c.store, name=f"Site {n}", district_id=team.districts[n % 2])
    push(writer, pg_url)
    _programme(team, writer)
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    job = Job()
    pages = _Pages(pg_url, station_id, cursor)

    def fetch(place):
        data = pages(place)
        if "programme" in pages.bodies[-1].get("tables", {}):
            job.cancel()  # cut short once the page of the programmes is applied
        return data
    with device(station) as c:
        with pytest.raises(Cancelled):
            sync.apply_pulls(c, pages.first(), fetch, job)
        position = sync.pull_position(c)
        state = sync.outbox.get_state(c.store.conn, "pull_page")
    print("pages applied", len(pages.bodies), "next of the last", pages.bodies[-1]["page"]["next"],
          "position kept", position, "pull_page", repr(state))
    assert position[1] == pages.bodies[-1]["page"]["next"]


def test_a_page_asked_while_an_ingest_waits_for_the_lock_is_not_refused_as_stale(tmp_path, empty_commune_path,
                                                                                   pg_url, catalogue, monkeypatch):
    """Page 1 read under the shared lock: its bound is ``hub_change_seq``'s last value, above the
    safe bound the last writer published when it took the lock (its own changes come after). Page 2
    asked while an ingest waits for the exclusive lock (behind another pull's shared one): the hub
    took the safe bound as the snapshot's cursor, below page 1's bound: ``sync.page_stale``, and a
    new replica's whole sequence (one transaction) was rolled back. Now the page waits for the
    shared lock (the other pull and the ingest end) and goes on."""
    import threading
    import time
    from desktop.hub.base import LOCK, SAFE_SEQ
    team = make_team(tmp_path, empty_commune_path, pg_url)
    writer = new_device(team, tmp_path, "coord", "writer")
    with device(writer, "coord") as c:
        for n in range(4):
            make_inspection(c.store, c.user, catalogue, team.sites[n % 2], field_code="hygiene")
    station, station_id = _enrolled(tmp_path, pg_url, "coord", name="station")
    with psycopg.connect(pg_url) as conn:
        print("seq before push", conn.execute(f"SELECT last_value, is_called FROM {SAFE_SEQ}").fetchone(),
              conn.execute("SELECT last_value, is_called FROM hub_change_seq").fetchone(), flush=True)
    push(writer, pg_url)
    with device(writer, "coord") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene")
    push(writer, pg_url)  # the last writer: its changes numbered after the bound it published
    monkeypatch.setattr(hub_pull, "PAGE_ROWS", 2)
    with psycopg.connect(pg_url) as conn:
        safe = conn.execute(f"SELECT last_value FROM {SAFE_SEQ}").fetchone()[0]
        last = conn.execute("SELECT last_value FROM hub_change_seq").fetchone()[0]
        published = conn.execute(f"SELECT pg_sequence_last_value('{SAFE_SEQ}')").fetchone()[0]
    print("safe", safe, "published", published, "last", last, flush=True)
    assert published is not None and published < last  # (the set-up this test needs)
    held = {}

    def contention(n: int) -> None:
        if n != 2 or held:
            return
        held["pull"] = psycopg.connect(pg_url, autocommit=True)  # another device's pull, between two statements
        held["pull"].execute("SELECT pg_advisory_lock_shared(%s)", (LOCK,))
        held["ingest"] = psycopg.connect(pg_url, autocommit=True)  # an ingest queued for the exclusive lock

        def ingest() -> None:  # it takes the lock once the other pull is done, and ends its work
            held["ingest"].execute("SELECT pg_advisory_lock(%s)", (LOCK,))
            time.sleep(0.2)
            held["ingest"].execute("SELECT pg_advisory_unlock(%s)", (LOCK,))
        held["thread"] = threading.Thread(target=ingest)
        held["thread"].start()
        # the other pull gives its lock back a moment later, as a pull does
        threading.Timer(1.0, lambda: held["pull"].execute("SELECT pg_advisory_unlock_shared(%s)", (LOCK,))).start()
        for _ in range(100):
            with psycopg.connect(pg_url) as probe:
                if probe.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")\
                        .fetchone()[0]:
                    break
            time.sleep(0.05)
    pages = _Pages(pg_url, station_id, 0, contention)
    outcome = None
    try:
        with device(station) as c:
            sync.apply_pulls(c, pages.first(), pages)
    except Refusal as exc:
        outcome = exc.key
    finally:
        if held:
            held["thread"].join(10)
            held["ingest"].close()
            held["pull"].close()
    with device(station) as c:
        sites = c.store.scalar("SELECT count(*) FROM site")
    print("safe bound", safe, "last change", last, "page 1 bound", pages.bodies[0]["page"]["bound"],
          "pages read", len(pages.bodies), "outcome", outcome, "sites on the station", sites)
    assert outcome is None
