"""The retention purge on a team (Law 09-08 art. 3.1(e)): the erasure is a command the hub
re-checks (who, what, at which version), applies to its row, and scrubs from everything it keeps
of that row (ops as received, conflicts, receipts), with its chains still verified; a forged one
is refused and reported."""
from datetime import date

import psycopg
import pytest
from psycopg.types.json import Jsonb

from desktop.domain.errors import Refusal
from desktop.hub import ingest
from desktop.hub.check import check_hub
from desktop.services import privacy, sync
from tests.builders import make_site
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import device, new_device, push, sync_device

CIN, CIN2, CIN3 = "BK445566", "BK445577", "BK445588"
TRACES = {"hub_op": "op::text", "hub_conflict": "concat(device_value, hub_value, base_value)::text",
          "hub_receipt": "encode(receipt, 'escape')", "hub_journal": "detail"}


def _traces(pg_url: str, value: str) -> dict:
    return {t: hub_rows(pg_url, f"SELECT count(*) AS n FROM {t} WHERE {e} LIKE %s", (f"%{value}%",))[0]["n"]
            for t, e in TRACES.items()}


def _edit_owner(path, username: str, site: str, number: str) -> None:
    with device(path, username) as c, c.store.transaction(c.user.id) as tx:
        tx.update("site", site, {"owner_id_number": number})


def _owner_known_to_both(team, tmp_path):
    """The administrator's station and the coordinator's tablet, both holding a site with its owner's CIN."""
    station, coord = new_device(team, tmp_path, "admin"), new_device(team, tmp_path, "coord")
    with device(station) as c:
        site = make_site(c.store, owner_name="Fatima Zahra B.", owner_id_kind="cin", owner_id_number=CIN,
                         district_id=team.districts[1])
    push(station, team.pg_url)
    sync_device(coord, team.pg_url)
    return station, coord, site


def test_a_purge_scrubs_the_conflicts_and_receipts_that_held_the_owner(team, tmp_path):
    station, coord = new_device(team, tmp_path, "admin"), new_device(team, tmp_path, "coord")
    with device(station) as c:
        site = make_site(c.store, name="Épicerie B.", owner_name="Fatima Zahra B.", owner_id_kind="cin",
                         owner_id_number=CIN, district_id=team.districts[1])
    push(station, team.pg_url)
    sync_device(coord, team.pg_url)
    _edit_owner(station, "admin", site, CIN3)
    push(station, team.pg_url)
    _edit_owner(coord, "coord", site, CIN2)  # offline, on the old value: a clash at the hub
    assert push(coord, team.pg_url)["conflicts"] == 1
    assert _traces(team.pg_url, CIN2)["hub_receipt"] == 1
    sync_device(station, team.pg_url)
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites >= 1
        assert sync.status(c)["pending"] >= 1
    receipt = push(station, team.pg_url)
    assert receipt["conflicts"] == 0
    assert hub_rows(team.pg_url, "SELECT owner_name, owner_id_number, owner_id_kind FROM site WHERE id = %s",
                    (site,)) == [{"owner_name": "", "owner_id_number": "", "owner_id_kind": "none"}]
    for value in (CIN, CIN2, CIN3, "Fatima Zahra B."):
        assert _traces(team.pg_url, value) == {t: 0 for t in TRACES}, value
    assert check_hub(team.pg_url)[1] == []
    redacted = hub_rows(team.pg_url, "SELECT op->'redacted' AS r FROM hub_op WHERE op::jsonb ? 'redacted'")
    assert len(redacted) == 3 and all(r["r"]["columns"] for r in redacted)
    erased = hub_rows(team.pg_url, "SELECT op FROM hub_op WHERE op_id = %s", (redacted[0]["r"]["by"],))[0]["op"]
    assert erased["old"] == {} and erased["new"]["owner_id_number"] == ""  # the erasure carries no erased value
    sync_device(coord, team.pg_url)  # the other devices receive the erased row
    with device(coord) as c:
        assert c.store.scalar("SELECT owner_id_number FROM site WHERE id = ?", (site,)) == ""
        device_id = sync.status(c)["device_id"]
        for r in hub_rows(team.pg_url, "SELECT receipt FROM hub_receipt WHERE device_id = %s", (device_id,)):
            sync.apply_receipt(c, bytes(r["receipt"]))  # the receipts scrubbed and signed again: still the hub's


def test_a_stale_erasure_is_refused_and_the_purge_can_run_again(team, tmp_path):
    station, coord, site = _owner_known_to_both(team, tmp_path)
    _edit_owner(coord, "coord", site, CIN2)  # the file changed at the hub meanwhile
    push(coord, team.pg_url)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    assert push(station, team.pg_url)["conflicts"] == 1
    refused = hub_rows(team.pg_url, "SELECT reason FROM hub_conflict WHERE row_id = %s", (site,))
    assert [r["reason"] for r in refused] == ["stale_state"]
    assert hub_rows(team.pg_url, "SELECT owner_id_number FROM site WHERE id = %s", (site,)) == \
        [{"owner_id_number": CIN2}]  # the newer value stands
    sync_device(station, team.pg_url)  # the hub's row back, then the purge again
    with device(station, "admin") as c:
        assert privacy.purge(c.store, c.user, date.today()).sites == 1
    push(station, team.pg_url)
    assert _traces(team.pg_url, CIN2) == {t: 0 for t in TRACES}
    assert check_hub(team.pg_url)[1] == []


# -- forged erasures ---------------------------------------------------------------------------

def _site_row(pg_url: str, site: str) -> dict:
    return hub_rows(pg_url, "SELECT * FROM site WHERE id = %s", (site,))[0]


def _erase_op(attacker: Attacker, table: str, row: dict, values: dict) -> dict:
    return attacker.op(table, row["id"], "update", {**values, "updated_at": "2026-06-01T10:00:00Z",
                                                    "updated_by": attacker.user_id, "version": row["version"] + 1},
                       base_version=row["version"])


def test_an_officer_cannot_erase(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    with psycopg.connect(team.pg_url) as conn:
        conn.execute("UPDATE site SET owner_name = 'Fatima', owner_id_number = %s, owner_id_kind = 'cin'"
                     " WHERE id = %s", (CIN, team.sites[0]))
    row = _site_row(team.pg_url, team.sites[0])
    ingest(team.pg_url, attacker.bundle([_erase_op(attacker, "site", row, privacy.ERASED["site"])]))
    assert [r["reason"] for r in hub_rows(team.pg_url, "SELECT reason FROM hub_conflict")] == ["permission"]
    assert _site_row(team.pg_url, team.sites[0])["owner_id_number"] == CIN


def test_an_erasure_writes_only_the_erased_values(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "admin"), team.pg_url)
    row = _site_row(team.pg_url, team.sites[0])
    ops = [_erase_op(attacker, "site", row, {"owner_name": "Quelqu'un d'autre"}),
           _erase_op(attacker, "site", row, {"owner_name": "", "name": "Renommé"})]
    district = hub_rows(team.pg_url, "SELECT * FROM district LIMIT 1")[0]
    ops.append(_erase_op(attacker, "district", district, {"name_fr": ""}))
    ingest(team.pg_url, attacker.bundle(ops))
    refused = hub_rows(team.pg_url, "SELECT reason, device_value FROM hub_conflict ORDER BY created_at")
    assert [(r["reason"], r["device_value"]["rule"]) for r in refused] == \
        [("invalid", "erase_value"), ("invalid", "erase_value"), ("invalid", "erase_table")]
    assert _site_row(team.pg_url, team.sites[0])["version"] == row["version"]


def test_hub_check_finds_an_op_redacted_without_an_erasure(team, tmp_path):
    tablet = new_device(team, tmp_path, "admin")
    with device(tablet) as c:
        make_site(c.store, owner_name="Fatima", owner_id_kind="cin", owner_id_number=CIN)
    push(tablet, team.pg_url)
    assert check_hub(team.pg_url)[1] == []
    with psycopg.connect(team.pg_url) as conn:  # someone with the database hides a value as "redacted"
        op = conn.execute("SELECT op_id, op FROM hub_op WHERE tbl = 'site'").fetchone()
        conn.execute("UPDATE hub_op SET op = %s WHERE op_id = %s",
                     (Jsonb({**op[1], "new": {**op[1]["new"], "owner_id_number": ""},
                             "redacted": {"columns": ["owner_id_number"], "by": op[0]}}), op[0]))
    problems = check_hub(team.pg_url)[1]
    assert len(problems) == 1 and "redacted without an erasure" in problems[0]


def test_a_purged_complaint_leaves_neither_its_text_nor_its_scanned_letter_at_the_hub(team, tmp_path, catalogue):
    from desktop.store.complaints import ComplaintInput, attach_file, create_complaint, reject
    station = new_device(team, tmp_path, "admin")
    letter = tmp_path / "lettre.pdf"
    letter.write_bytes(b"%PDF-1.4 Plainte de Mme Fatima Zahra B., 12 rue des Lilas")
    with device(station, "admin") as c:
        complaint = create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 1, 5), description="Odeurs la nuit, signalé par Mme B.",
            field_code="hygiene", district_id=team.districts[0], complainant_name="Fatima Zahra B.",
            complainant_contact="0612345678"))
        attach_file(c.store, c.user, complaint, letter)
        reject(c.store, c.user, complaint, "Hors des compétences de la commune")
    push(station, team.pg_url)
    sha = hub_rows(team.pg_url, "SELECT sha256 FROM attachment WHERE owner_id = %s", (complaint,))[0]["sha256"]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob WHERE sha256 = %s", (sha,)) == [{"n": 1}]
    with device(station, "admin") as c:
        counts = privacy.purge(c.store, c.user, date.today())
        assert (counts.complaints, counts.attachments) == (1, 1)
    assert push(station, team.pg_url)["conflicts"] == 0
    assert hub_rows(team.pg_url, "SELECT complainant_name, complainant_contact, description FROM complaint"
                    " WHERE id = %s", (complaint,)) == [{"complainant_name": "", "complainant_contact": "",
                                                         "description": ""}]
    assert hub_rows(team.pg_url, "SELECT deleted_at IS NOT NULL AS gone FROM attachment WHERE owner_id = %s",
                    (complaint,)) == [{"gone": True}]
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM hub_blob WHERE sha256 = %s", (sha,)) == [{"n": 0}]
    for value in ("Fatima Zahra B.", "0612345678", "signalé par Mme B."):
        assert _traces(team.pg_url, value) == {t: 0 for t in TRACES}, value
    assert check_hub(team.pg_url)[1] == []


def test_a_revoked_devices_quarantined_bundle_loses_the_erased_values(team, tmp_path):
    from desktop.hub import revoke
    from desktop.hub.devices import quarantined
    station, coord, site = _owner_known_to_both(team, tmp_path)
    _edit_owner(coord, "coord", site, CIN2)  # then the coordinator's tablet is stolen
    with device(coord) as c:
        coord_id = sync.status(c)["device_id"]
        data = sync.make_bundle(c)
    revoke(team.pg_url, coord_id, "admin")
    with pytest.raises(Refusal):  # refused (revoked), kept in quarantine for review
        ingest(team.pg_url, data)
    assert quarantined(team.pg_url)[0]["signed"] and _traces_in_quarantine(team.pg_url, CIN2) == 1
    sync_device(station, team.pg_url)
    with device(station, "admin") as c:
        privacy.purge(c.store, c.user, date.today())
    push(station, team.pg_url)
    for value in (CIN, CIN2):
        assert _traces_in_quarantine(team.pg_url, value) == 0
        assert _traces(team.pg_url, value) == {t: 0 for t in TRACES}
    review = quarantined(team.pg_url)[0]  # still there for review, its signature gone with the values
    assert not review["signed"] and review["ops"][0]["new"]["owner_id_number"] == ""


def _traces_in_quarantine(pg_url: str, value: str) -> int:
    return hub_rows(pg_url, "SELECT count(*) AS n FROM hub_quarantine WHERE encode(bundle, 'escape') LIKE %s",
                    (f"%{value}%",))[0]["n"]
