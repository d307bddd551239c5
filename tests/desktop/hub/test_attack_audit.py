"""A device rewriting the audit columns of a row it may amend (who created it, who changed it, its
version): framing a colleague, or resetting the version so that a later stale edit overwrites an
amendment silently."""
import pytest

from desktop.domain.ids import utc_now
from desktop.hub import ingest
from tests.builders import make_inspection
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import device, make_team, new_device, push


@pytest.fixture
def team(tmp_path, empty_commune_path, pg_url):
    return make_team(tmp_path, empty_commune_path, pg_url)


@pytest.mark.xfail(strict=True, reason="ATTACK: an amendment's op writes created_by/updated_by/version/device_id"
                   " as the device says (rules._applied_values for fact/command): a colleague framed, the version"
                   " reset so that a stale edit later overwrites silently")
def test_an_amendment_cannot_rewrite_who_did_it_nor_the_rows_version(team, tmp_path, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", notes="vu")
    push(tablet, team.pg_url)
    before = hub_rows(team.pg_url, "SELECT * FROM inspection WHERE id = %s", (inspection,))[0]
    attacker = Attacker(tablet, team.pg_url)
    op = attacker.op("inspection", inspection, "update", {
        "notes": "rien vu", "created_by": team.users["agent2"], "updated_by": team.users["agent2"],
        "device_id": "another-tablet", "version": before["version"], "created_at": "2020-01-01T00:00:00Z",
        "updated_at": utc_now()}, old={"notes": "vu"}, base_version=before["version"])
    ingest(team.pg_url, attacker.bundle([op]))
    after = hub_rows(team.pg_url, "SELECT * FROM inspection WHERE id = %s", (inspection,))[0]
    assert after["notes"] == "rien vu"  # his amendment is his to make...
    assert (after["created_by"], after["created_at"], after["device_id"]) == \
        (before["created_by"], before["created_at"], before["device_id"])  # ...not who made the row, when, where
    assert after["updated_by"] == team.users["agent1"]
    assert after["version"] == before["version"] + 1


@pytest.mark.xfail(strict=True, reason="ATTACK: an amendment whose op keeps 'version' unchanged leaves the hub's"
                   " version as it was: another device's stale amendment then overwrites it, no conflict")
def test_a_version_kept_back_by_one_device_cannot_let_another_overwrite_silently(team, tmp_path, catalogue):
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", notes="vu")
    push(tablet, team.pg_url)
    base = hub_rows(team.pg_url, "SELECT version FROM inspection WHERE id = %s", (inspection,))[0]["version"]
    station = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)  # holds the row at `base`
    attacker = Attacker(tablet, team.pg_url)
    first = attacker.op("inspection", inspection, "update", {"notes": "amendement 1", "version": base,
                                                             "updated_at": utc_now()},
                        old={"notes": "vu"}, base_version=base)
    ingest(team.pg_url, attacker.bundle([first]))
    stale = station.op("inspection", inspection, "update", {"notes": "amendement 2", "version": base + 1,
                                                            "updated_at": utc_now()},
                       old={"notes": "vu"}, base_version=base)  # made before it saw amendment 1
    ingest(team.pg_url, station.bundle([stale]))
    outcome = hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (stale["op_id"],))
    assert outcome == [{"status": "conflict"}]
    assert hub_rows(team.pg_url, "SELECT notes FROM inspection WHERE id = %s", (inspection,)) == \
        [{"notes": "amendement 1"}]
