"""A device rewriting the audit columns of a row it may amend (who created it, who changed it, its
version): framing a colleague, or resetting the version so that a later stale edit overwrites an
amendment silently."""

from desktop.domain.ids import utc_now
from desktop.hub import ingest
from tests.builders import make_inspection
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import device, new_device, push


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
    # an op the application could not have written (who made the row, when, where, its version):
    # refused whole, recorded; the row as it was
    assert hub_rows(team.pg_url, "SELECT h.status, c.reason FROM hub_op h JOIN hub_conflict c USING (op_id)"
                    " WHERE op_id = %s", (op["op_id"],)) == [{"status": "refused", "reason": "invalid"}]
    after = hub_rows(team.pg_url, "SELECT * FROM inspection WHERE id = %s", (inspection,))[0]
    assert {k: after[k] for k in ("notes", "created_by", "created_at", "device_id", "updated_by", "version")} == \
        {k: before[k] for k in ("notes", "created_by", "created_at", "device_id", "updated_by", "version")}


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
    # a version kept back is not the application's: refused, the hub's row and version unchanged
    assert hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (first["op_id"],)) == \
        [{"status": "refused"}]
    assert hub_rows(team.pg_url, "SELECT notes, version FROM inspection WHERE id = %s", (inspection,)) == \
        [{"notes": "vu", "version": base}]
    stale = station.op("inspection", inspection, "update", {"notes": "amendement 2", "version": base + 1,
                                                            "updated_at": utc_now()},
                       old={"notes": "vu"}, base_version=base)  # made before it saw amendment 1
    ingest(team.pg_url, station.bundle([stale]))
    # the station's amendment was made on the version the hub still holds: it applies, over nothing
    outcome = hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (stale["op_id"],))
    assert outcome == [{"status": "applied"}]
    assert hub_rows(team.pg_url, "SELECT notes, version FROM inspection WHERE id = %s", (inspection,)) == \
        [{"notes": "amendement 2", "version": base + 1}]
    again = station.op("inspection", inspection, "update", {"notes": "amendement 3", "version": base + 1,
                                                            "updated_at": utc_now()},
                       old={"notes": "vu"}, base_version=base)  # a second stale one: now a conflict
    ingest(team.pg_url, station.bundle([again]))
    assert hub_rows(team.pg_url, "SELECT status FROM hub_op WHERE op_id = %s", (again["op_id"],)) == \
        [{"status": "conflict"}]
    assert hub_rows(team.pg_url, "SELECT notes FROM inspection WHERE id = %s", (inspection,)) == \
        [{"notes": "amendement 2"}]
