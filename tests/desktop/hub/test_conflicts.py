"""The conflict rules at the hub, seen from both sides: a clash on a site's column, a stale
command on a closed case, an officer outside his arrondissement."""
import json
from datetime import date

import psycopg
import pytest

from desktop.hub import list_conflicts, resolve_conflict
from desktop.services import sync
from desktop.store.cases import advance, current_step
from desktop.store.users import get_user
from desktop.domain.errors import Refusal
from desktop.domain.model import SiteInput
from desktop.store.sites import create_site
from tests.builders import LAT, LON, make_case, make_inspection
from tests.desktop.hub.helpers import assert_check_ok, device, make_team, new_device, push, sync_device


def _edit_site(path, user, site_id, **changes):
    with device(path, user) as c:
        with c.store.transaction(c.user.id) as tx:
            tx.update("site", site_id, changes)


def test_a_clash_on_a_site_column_is_a_conflict_on_both_sides(tmp_path, empty_commune_path, pg_url):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    first = new_device(team, tmp_path, "coord", "station1")
    second = new_device(team, tmp_path, "coord", "station2")
    site = team.sites[0]
    _edit_site(first, "coord", site, name="Café Anfa (nouveau nom)")
    _edit_site(second, "coord", site, name="Café de la Corniche", address="12 bd de la Corniche")
    assert push(first, pg_url)["conflicts"] == 0
    assert push(second, pg_url)["conflicts"] == 1
    [hub_conflict] = list_conflicts(pg_url)
    assert (hub_conflict["tbl"], hub_conflict["column_name"], hub_conflict["reason"]) == ("site", "name", "clash")
    assert hub_conflict["hub_value"] == "Café Anfa (nouveau nom)"
    assert hub_conflict["device_value"] == "Café de la Corniche"
    with device(second) as c:
        [mine] = sync.list_conflicts(c)
        assert mine["conflict_id"] == hub_conflict["conflict_id"]
        assert (mine["column_name"], mine["device_value"]) == ("name", "Café de la Corniche")
    for path in (first, second):
        sync_device(path, pg_url)
    with psycopg.connect(pg_url) as conn:  # the other column merged, the clashing one: the hub's value stands
        assert conn.execute("SELECT name, address FROM site WHERE id = %s", (site,)).fetchone() == (
            "Café Anfa (nouveau nom)", "12 bd de la Corniche")
    for path in (first, second):
        with device(path) as c:
            assert c.store.query("SELECT name, address FROM site WHERE id = ?", (site,))[0] == {
                "name": "Café Anfa (nouveau nom)", "address": "12 bd de la Corniche"}
        assert_check_ok(path)
    with pytest.raises(Refusal):  # an officer does not decide
        resolve_conflict(pg_url, hub_conflict["conflict_id"], "device", team.users["agent1"])
    resolve_conflict(pg_url, hub_conflict["conflict_id"], "device", team.users["coord"])
    for path in (first, second):
        sync_device(path, pg_url)
        with device(path) as c:
            assert c.store.scalar("SELECT name FROM site WHERE id = ?", (site,)) == "Café de la Corniche"
    assert list_conflicts(pg_url) == []
    with device(second) as c:  # the station that raised it sees it decided
        assert sync.list_conflicts(c) == [] and sync.status(c)["conflicts"] == 0
        assert [r["status"] for r in sync.list_conflicts(c, None)] == ["resolved"]


def test_a_stale_transition_of_a_closed_case_is_refused_with_its_reason(tmp_path, empty_commune_path, pg_url,
                                                                         catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    first = new_device(team, tmp_path, "coord", "station1")
    second = new_device(team, tmp_path, "coord", "station2")
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        case_id = make_case(c.store, c.user, catalogue, ["HYG-01"], site_id=team.sites[0])
    push(tablet, pg_url)
    for path in (first, second):
        sync_device(path, pg_url)
    with device(first, "coord") as c:  # the first station runs the ladder to its end
        advance(c.store, c.user, case_id, "reinspection", on=date(2026, 6, 2))
        advance(c.store, c.user, case_id, "closed", result="conformed", on=date(2026, 6, 20))
    assert push(first, pg_url)["conflicts"] == 0
    with device(second, "coord") as c:  # the second, offline, from the state it knew
        step = current_step(c.store, case_id)
        assert step is not None and step.step != "reinspection"
        advance(c.store, c.user, case_id, "reinspection", on=date(2026, 6, 5))
    assert push(second, pg_url)["conflicts"] == 2  # the step's update (stale) and the step it opened
    with device(second) as c:
        reasons = {r["reason"] for r in sync.list_conflicts(c)}
        assert reasons == {"stale_state", "with_refused"}
        assert sync.status(c)["conflicts"] == 2
    sync_device(second, pg_url)
    with device(second) as c:  # the hub's state reached the station; its refused step is kept, tombstoned
        assert c.store.scalar("SELECT status FROM case_file WHERE id = ?", (case_id,)) == "closed"
        assert c.store.scalar("SELECT count(*) FROM case_step WHERE case_id = ? AND deleted_at IS NULL"
                              " AND status = 'open'", (case_id,)) == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT status FROM case_file WHERE id = %s", (case_id,)).fetchone()[0] == "closed"
    assert_check_ok(second)


def test_an_officers_op_outside_his_arrondissement_is_refused(tmp_path, empty_commune_path, pg_url, catalogue):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        agent2 = get_user(c.store, team.users["agent2"])
        assert agent2.district_id == team.districts[1]
        # a new site placed in the other arrondissement, and its inspection
        with c.store.transaction(c.user.id) as tx:
            site = create_site(tx, SiteInput(kind="establishment", name="Hors secteur"), team.districts[1],
                               LON, LAT)
        make_inspection(c.store, c.user, catalogue, site)
    receipt = push(tablet, pg_url)
    assert receipt["conflicts"] >= 2
    with device(tablet) as c:
        reasons = {(r["tbl"], r["reason"]) for r in sync.list_conflicts(c)}
    assert {("site", "scope"), ("inspection", "scope")} <= reasons
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM inspection WHERE deleted_at IS NULL").fetchone()[0] == 0
        refused = conn.execute("SELECT count(*) FROM hub_conflict WHERE reason IN ('scope', 'permission', 'actor')"
                               ).fetchone()[0]
        assert refused >= 1
    sync_device(tablet, pg_url)
    with device(tablet) as c:  # nothing lost: the refused rows are kept, tombstoned like at the hub
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE deleted_at IS NOT NULL") == 1
        assert json.loads(json.dumps(sync.status(c)))["pending"] == 0
    assert_check_ok(tablet)
