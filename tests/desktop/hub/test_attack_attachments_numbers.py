"""A file forged under an entity its device may not see (another arrondissement's complaint, a
signed act), and register numbers asked for another year or for a document that is no draft of
that series: refused, nothing written, no number taken."""
import hashlib
from datetime import date

import psycopg
import pytest

from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now, uuid7
from desktop.hub import ingest, numbers
from desktop.store.complaints import ComplaintInput, create_complaint
from tests.desktop.hub.attacker import Attacker, hub_rows
from tests.desktop.hub.helpers import device, new_device, push
from tests.desktop.hub.test_attack_commands import _refusal, _signed_decision, case  # noqa: F401 - the fixture

PDF = b"%PDF-1.4 forged"


def _file(attacker: Attacker, owner_type: str, owner_id: str) -> dict:
    row_id, now = uuid7(), utc_now()
    return attacker.op("attachment", row_id, "insert", {
        "id": row_id, "owner_type": owner_type, "owner_id": owner_id, "sha256": hashlib.sha256(PDF).hexdigest(),
        "mime": "application/pdf", "size": len(PDF), "original_name": "x.pdf", "created_at": now, "updated_at": now,
        "created_by": attacker.user_id, "updated_by": attacker.user_id, "device_id": attacker.device_id,
        "version": 1})


def test_a_file_under_another_arrondissements_complaint_is_refused(team, tmp_path, catalogue):
    other = new_device(team, tmp_path, "agent2")
    with device(other, "agent2") as c:
        complaint = create_complaint(c.store, c.user, catalogue, ComplaintInput(
            channel="desk", received_on=date(2026, 6, 1), description="Bruit la nuit", field_code="hygiene",
            district_id=team.districts[1]))
    push(other, team.pg_url)
    attacker = Attacker(new_device(team, tmp_path, "agent1"), team.pg_url)
    op = _file(attacker, "complaint", complaint)
    ingest(team.pg_url, attacker.bundle([op], blobs={op["new"]["sha256"]: __import__("base64").b64encode(PDF).decode()}))
    assert _refusal(team, op) == ("invalid", "owner_out_of_scope")
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM attachment WHERE deleted_at IS NULL"
                    " AND owner_type = 'complaint'") == [{"n": 0}]


def test_a_file_under_a_signed_act_is_refused(team, tmp_path, case):  # noqa: F811 - the fixture
    act = _signed_decision(team, case)
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    op = _file(attacker, "decision", act["id"])
    ingest(team.pg_url, attacker.bundle([op], blobs={op["new"]["sha256"]: __import__("base64").b64encode(PDF).decode()}))
    assert _refusal(team, op) == ("invalid", "decision_attachment")


def test_a_number_only_for_this_years_register_and_a_draft_of_its_series(team, case):  # noqa: F811
    act = _signed_decision(team, case)
    with psycopg.connect(team.pg_url) as conn:
        numbers.ensure_schema(conn)
        today = date(2026, 6, 1)
        for year in (2025, 2027, 1999):
            with pytest.raises(Refusal) as refused:
                numbers.check_request(conn, "arrete", year, uuid7(), today)
            assert refused.value.key == "net.number_year"
        numbers.check_request(conn, "arrete", 2025, uuid7(), date(2026, 1, 1))  # the turn of the year
        with pytest.raises(Refusal) as refused:  # signed already: its number is its own
            numbers.check_request(conn, "arrete", 2026, act["id"], today)
        assert refused.value.key == "net.number_document"
        conn.execute("UPDATE decision SET status = 'draft' WHERE id = %s", (act["id"],))
        with pytest.raises(Refusal) as refused:  # an injunction is an arrêté, not a notice
            numbers.check_request(conn, "notice", 2026, act["id"], today)
        assert refused.value.key == "net.number_document"
        numbers.check_request(conn, "arrete", 2026, act["id"], today)  # the guard's other side
        with pytest.raises(Refusal):
            numbers.check_request(conn, "arrete", 2026, "x" * 500, today)
        assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM register_number") == [{"n": 0}]
