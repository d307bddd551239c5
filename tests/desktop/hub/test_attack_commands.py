"""State machines forged by a device whose user holds the right to move them (issue 12: "state
machines travel as commands that the hub accepts or refuses with a reason the officer sees"): a
case step from a state the ladder does not allow, a signed act altered or unsigned, a delegation
rewritten or un-withdrawn, an impossible programme, an account change the administration screen
refuses. Each is refused (``invalid``, the rule in the device value), reported, never applied."""
import psycopg
import pytest

from desktop.domain.ids import utc_now, uuid7
from desktop.hub import ingest
from desktop.services import sync
from desktop.store.cases import advance
from tests.builders import make_inspection
from tests.desktop.hub.attacker import Attacker, hub_rows, relink
from tests.desktop.hub.helpers import device, new_device, push


def _row(team, table: str, row_id: str) -> dict:
    return hub_rows(team.pg_url, f'SELECT * FROM "{table}" WHERE id = %s', (row_id,))[0]


def _refusal(team, op) -> tuple[str, str | None]:
    rows = hub_rows(team.pg_url, "SELECT h.status, c.reason, c.device_value FROM hub_op h LEFT JOIN hub_conflict c"
                    " USING (op_id) WHERE op_id = %s", (op["op_id"],))
    assert rows, "the op was not received"
    r = rows[0]
    return r["reason"], (r["device_value"] or {}).get("rule") if isinstance(r["device_value"], dict) else None


def _change(attacker: Attacker, table: str, row: dict, values: dict) -> dict:
    """An update as the store writes it (audit columns right), of the hub's current row."""
    return attacker.op(table, row["id"], "update", {**values, "updated_at": utc_now(), "updated_by": attacker.user_id,
                                                    "version": row["version"] + 1},
                       old={c: row.get(c) for c in values}, base_version=row["version"])


def _new(attacker: Attacker, table: str, values: dict) -> dict:
    row_id = uuid7()
    now = utc_now()
    return attacker.op(table, row_id, "insert", {"id": row_id, **values, "created_at": now, "updated_at": now,
                                                 "created_by": attacker.user_id, "updated_by": attacker.user_id,
                                                 "device_id": attacker.device_id, "version": 1})


@pytest.fixture
def case(team, tmp_path, catalogue) -> dict:
    """An officer's visit with a minor finding: a case at the hub, its first step (awareness) open."""
    tablet = new_device(team, tmp_path, "agent1")
    with device(tablet, "agent1") as c:
        make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=["HYG-02"])
    push(tablet, team.pg_url)
    case = hub_rows(team.pg_url, "SELECT * FROM case_file")[0]
    step = hub_rows(team.pg_url, "SELECT * FROM case_step WHERE case_id = %s", (case["id"],))[0]
    return {"case": case, "step": step, "tablet": tablet}


# -- the enforcement ladder ----------------------------------------------------------------------

def test_a_step_the_ladder_does_not_allow_is_refused(team, tmp_path, case):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    step = case["step"]
    close = _change(attacker, "case_step", step, {"status": "done", "done_on": "2026-06-02", "result": "vu"})
    skip = _new(attacker, "case_step", {"case_id": case["case"]["id"], "step": "execution", "status": "open",
                                        "opened_on": "2026-06-02", "due_on": "2026-07-02", "owner_id": None,
                                        "done_on": None, "result": "", "data": "{}"})
    ops = [close, {**skip, "tx": close["tx"]}]
    ingest(team.pg_url, attacker.bundle(relink(attacker, ops)))
    assert _refusal(team, ops[1]) == ("invalid", "ladder_transition")
    assert _refusal(team, ops[0])[0] == "with_refused"  # the command travels whole
    assert _row(team, "case_step", step["id"])["status"] == "open"


def test_a_done_step_is_not_reopened_nor_its_case_closed_out_of_turn(team, tmp_path, case):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    step, file = case["step"], case["case"]
    rewrite = _change(attacker, "case_step", step, {"step": "decision"})
    ingest(team.pg_url, attacker.bundle([rewrite]))
    assert _refusal(team, rewrite) == ("invalid", "ladder_immutable")
    assert step["step"] == "awareness"  # which never allows closing the case
    close_case = _change(attacker, "case_file", file, {"status": "closed", "closed_on": "2026-06-02"})
    ingest(team.pg_url, attacker.bundle([close_case]))
    assert _refusal(team, close_case) == ("invalid", "ladder_transition")
    assert _row(team, "case_file", file["id"])["status"] == "open"


def test_a_step_moved_on_since_the_device_saw_it_is_refused_as_stale(team, tmp_path, case):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    seen = {**case["step"], "version": case["step"]["version"] - 1}  # an older state of the step
    late = _change(attacker, "case_step", seen, {"status": "done", "done_on": "2026-06-02"})
    ingest(team.pg_url, attacker.bundle([late]))
    assert _refusal(team, late)[0] == "stale_state"  # what the officer sees: the state moved on


def test_an_officer_opens_a_first_step_only(team, tmp_path, case):
    attacker = Attacker(case["tablet"], team.pg_url)
    extra = _new(attacker, "case_step", {"case_id": case["case"]["id"], "step": "decision", "status": "open",
                                         "opened_on": "2026-06-02", "due_on": "2026-07-02", "owner_id": None,
                                         "done_on": None, "result": "", "data": "{}"})
    ingest(team.pg_url, attacker.bundle([extra]))
    assert _refusal(team, extra)[0] == "invalid"
    assert hub_rows(team.pg_url, "SELECT count(*) AS n FROM case_step WHERE deleted_at IS NULL") == [{"n": 1}]


def test_the_coordinator_advances_the_ladder_as_the_application_does(team, tmp_path, case):
    """The guard's other side: a genuine advance goes through."""
    station = new_device(team, tmp_path, "coord")
    assert case["step"]["step"] == "awareness"
    with device(station, "coord") as c:
        advance(c.store, c.user, case["case"]["id"], "reinspection")
    assert push(station, team.pg_url)["conflicts"] == 0


# -- signed acts ------------------------------------------------------------------------------------

def _signed_decision(team, case) -> dict:
    """A signed act at the hub (as the president's station would have left it)."""
    with psycopg.connect(team.pg_url) as conn:
        decision_id = uuid7()
        now = utc_now()
        conn.execute(
            "INSERT INTO decision (id, case_id, kind, field_code, year, number, status, langs, content,"
            " oversight_class, signed_on, signed_by, created_at, updated_at, created_by, updated_by, device_id,"
            " version, series, governor_observation, appeal_ref) VALUES (%s, %s, 'injunction', 'hygiene', 2026, 1,"
            " 'signed', 'ar', 'Injonction', 'individual_other', '2026-06-01', %s, %s, %s, %s, %s, 'seed', 2,"
            " 'arrete', '', '')",
            (decision_id, case["case"]["id"], team.users["coord"], now, now, team.users["coord"], team.users["coord"]))
    return _row(team, "decision", decision_id)


def test_a_signed_act_is_not_altered_nor_unsigned(team, tmp_path, case):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    act = _signed_decision(team, case)
    ops = [_change(attacker, "decision", act, {"content": "Fermeture"}),
           _change(attacker, "decision", act, {"status": "draft"}),
           _change(attacker, "decision", act, {"number": 2})]
    tomb = attacker.op("decision", act["id"], "tombstone", {"deleted_at": utc_now(), "updated_at": utc_now(),
                                                            "updated_by": attacker.user_id,
                                                            "version": act["version"] + 1},
                       base_version=act["version"])
    for op in ops + [tomb]:
        ingest(team.pg_url, attacker.bundle([op]))
    assert [_refusal(team, op) for op in ops + [tomb]] == [("invalid", "decision_signed")] * 4
    assert _row(team, "decision", act["id"])["content"] == "Injonction"
    delivered = _change(attacker, "decision", act, {"delivered_on": "2026-06-03", "delivery_method": "main propre",
                                                    "delivery_receiver": "le gérant"})
    ingest(team.pg_url, attacker.bundle([delivered]))  # recording its delivery: the coordinator's to do
    assert _refusal(team, delivered) == (None, None)


def test_a_draft_is_not_delivered_nor_inserted_signed(team, tmp_path, case):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    draft = _new(attacker, "decision", {"case_id": case["case"]["id"], "kind": "injunction", "field_code": "hygiene",
                                        "status": "draft", "langs": "ar", "content": "Projet",
                                        "oversight_class": "individual_other", "series": "arrete",
                                        "delivered_on": "2026-06-03"})
    ingest(team.pg_url, attacker.bundle([draft]))
    assert _refusal(team, draft) == ("invalid", "decision_not_signed")


# -- delegations --------------------------------------------------------------------------------------

@pytest.fixture
def president(team) -> str:
    """A president's account at the hub (made by the administrator earlier), password as the others'."""
    coord = _row(team, "user", team.users["coord"])
    pid = uuid7()
    with psycopg.connect(team.pg_url) as conn:
        conn.execute('INSERT INTO "user" (id, username, full_name_ar, full_name_fr, role, password_hash, district_id,'
                     ' active, must_change_password, created_at, updated_at, created_by, updated_by, device_id,'
                     " version) VALUES (%s, 'pres', 'الرئيس', 'Président', 'president', %s, NULL, 1, 0, %s, %s, %s,"
                     " %s, 'seed', 1)",
                     (pid, coord["password_hash"], coord["created_at"], coord["created_at"], coord["created_by"],
                      coord["created_by"]))
    return pid


def _delegation(attacker: Attacker, delegate: str, **over) -> dict:
    return _new(attacker, "delegation", {
        "delegate_id": delegate, "number": over.pop("number", "D-1"), "decided_on": "2026-01-10",
        "legal_basis": "art103", "scope_fields": '["hygiene"]', "scope_ar": "الصحة", "scope_fr": "Hygiène",
        "capacity_ar": "نائب", "capacity_fr": "Vice-président", "valid_from": "2026-01-15", "valid_to": None,
        "withdrawn_on": None, "withdrawal_reason": "", "bo_number": "", "bo_date": None, "district_id": None, **over})


def test_a_delegation_is_neither_rewritten_nor_unwithdrawn(team, tmp_path, president):
    attacker = Attacker(new_device(team, tmp_path, "pres"), team.pg_url)
    grant = _delegation(attacker, team.users["coord"])
    ingest(team.pg_url, attacker.bundle([grant]))
    assert _refusal(team, grant) == (None, None)
    row = _row(team, "delegation", grant["row_id"])
    widen = _change(attacker, "delegation", row, {"scope_fields": '["hygiene", "urbanism"]', "valid_from": "2025-01-01"})
    ingest(team.pg_url, attacker.bundle([widen]))
    assert _refusal(team, widen) == ("invalid", "delegation_immutable")
    withdraw = _change(attacker, "delegation", row, {"withdrawn_on": "2026-03-01",
                                                     "withdrawal_reason": "Réorganisation des délégations"})
    ingest(team.pg_url, attacker.bundle([withdraw]))
    assert _refusal(team, withdraw) == (None, None)
    row = _row(team, "delegation", grant["row_id"])
    revive = _change(attacker, "delegation", row, {"withdrawn_on": None, "withdrawal_reason": ""})
    ingest(team.pg_url, attacker.bundle([revive]))
    assert _refusal(team, revive) == ("invalid", "delegation_withdrawn")
    assert _row(team, "delegation", grant["row_id"])["withdrawn_on"] == "2026-03-01"


def test_a_delegation_to_whom_the_application_would_not_grant_is_refused(team, tmp_path, president):
    attacker = Attacker(new_device(team, tmp_path, "pres"), team.pg_url)
    ops = [_delegation(attacker, team.users["agent1"], number="D-2"),                    # an officer
           _delegation(attacker, team.users["coord"], number="D-3", valid_from="2025-01-01"),  # before its decision
           _delegation(attacker, team.users["coord"], number="D-4", scope_fields='["*"]')]
    for op in ops:
        ingest(team.pg_url, attacker.bundle([op]))
    assert [_refusal(team, op) for op in ops] == [("invalid", "delegate_role"), ("invalid", "delegation_dates"),
                                                  ("invalid", "delegation_all_fields")]


# -- programmes ---------------------------------------------------------------------------------------

def test_an_impossible_programme_is_refused(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "coord"), team.pg_url)
    garbled = _new(attacker, "programme", {"title": "x", "kind": "weekly", "starts_on": 20260801, "ends_on": [],
                                           "districts": 5, "fields": None})
    ingest(team.pg_url, attacker.bundle([garbled]))  # refused, not a crash of the hub
    assert _refusal(team, garbled)[0] == "invalid"
    programme = _new(attacker, "programme", {"title": "Été", "kind": "seasonal", "starts_on": "2026-08-01",
                                             "ends_on": "2026-07-01", "districts": f'["{team.districts[0]}"]',
                                             "fields": '["hygiene"]', "target_visits": 10, "agreed_with": "",
                                             "agreed_on": None, "theme": ""})
    ingest(team.pg_url, attacker.bundle([programme]))
    assert _refusal(team, programme) == ("invalid", "programme_period_invalid")


# -- accounts -----------------------------------------------------------------------------------------

def test_account_changes_the_administration_screen_refuses_are_refused(team, tmp_path):
    attacker = Attacker(new_device(team, tmp_path, "admin"), team.pg_url)
    me = _row(team, "user", attacker.user_id)
    agent = _row(team, "user", team.users["agent1"])
    ops = [_change(attacker, "user", me, {"role": "officer"}),                  # the last administrator
           _change(attacker, "user", me, {"active": 0}),                        # oneself
           _change(attacker, "user", agent, {"role": "superuser"}),
           _change(attacker, "user", agent, {"username": "coord2"}),
           _change(attacker, "user", agent, {"district_id": "nowhere"})]
    for op in ops:
        ingest(team.pg_url, attacker.bundle([op]))
    assert [_refusal(team, op) for op in ops] == [
        ("invalid", "last_administrator"), ("invalid", "cannot_disable_self"), ("invalid", "unknown_role"),
        ("invalid", "username_immutable"), ("invalid", "district_unknown")]
    assert _row(team, "user", me["id"])["role"] == "administrator"
    promote = _change(attacker, "user", agent, {"role": "coordinator", "district_id": None})
    ingest(team.pg_url, attacker.bundle([promote]))  # the administrator's to decide (the guard's other side)
    assert _refusal(team, promote) == (None, None)
    with device(new_device(team, tmp_path, "agent2")) as c:
        assert sync.status(c)["enrolled"]
