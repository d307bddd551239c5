"""The state machines re-checked at the hub as the application moves them (issue 12: "state
machines travel as commands that the hub accepts or refuses with a reason the officer sees"):
the enforcement ladder (``desktop.domain.ladder``: a case's steps, its closing), signed acts,
delegations of signature, programmes and accounts. ``rules.check`` has already checked the op's
role (``desktop.domain.sync.TABLES``), arrondissement and base version; here, what the
application's own functions would refuse (``desktop.store.cases.advance``,
``desktop.services.paperwork``, ``desktop.store.decisions``, ``desktop.store.delegations``,
``desktop.store.programmes.check_programme``, ``desktop.services.accounts``) whatever the role.
A refusal is ``invalid`` with its rule (``sync.reason.invalid``: the rule in the device value).
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any, Callable

from desktop.domain.auth import ROLES, can
from desktop.domain.ladder import TRANSITIONS
from desktop.domain.sync import TABLES
from desktop.hub.state import BundleRows
from desktop.store.delegations import DELEGATE_ROLES
from desktop.store.programmes import KINDS as PROGRAMME_KINDS
from desktop.store.users import USERNAME

# The steps a case may open with: those a violation of the catalogue leads to (``ladder.first_step``);
# the re-inspection, notification and execution always follow another step.
FIRST_STEPS = frozenset({"awareness", "formal_notice", "referral", "decision"})
# What a step's update may change (``cases.advance``, ``step_after_signature``, ``record_case_fact``).
_STEP_CHANGES = frozenset({"status", "done_on", "result", "data", "due_on", "owner_id"})
# A signed act: what may still be recorded on it (its delivery, transmission, the governor's
# receipt, an appeal: ``store.decisions``); nothing else of it changes, nor is it ever deleted.
_AFTER_SIGNING = frozenset({"delivered_on", "delivery_method", "delivery_receiver", "transmitted_on", "receipt_on",
                            "governor_observation", "appeal_on", "appeal_ref"})
_SIGNED_ONLY = ("delivered_on", "transmitted_on", "receipt_on", "appeal_on")
# A delegation: its publication and its withdrawal are recorded on it; the rest is the decision's.
_DELEGATION_CHANGES = frozenset({"bo_number", "bo_date", "withdrawn_on", "withdrawal_reason"})
_AUDIT = frozenset({"created_at", "updated_at", "created_by", "updated_by", "device_id", "version", "deleted_at"})

Refused = dict | None


def _refused(rule: str, field: str | None = None, *params: Any) -> dict:
    return {"rule": rule, "field": field, "params": list(params)}


def _changed(op: dict) -> set[str]:
    return {c for c in op["new"] if c not in _AUDIT}


def _live(row: dict | None) -> bool:
    return row is not None and row.get("deleted_at") is None


def problem(rows: BundleRows, op: dict, actor: Any, row: dict | None) -> Refused:
    """The rule a state machine's op breaks (None: the application would have sent it)."""
    check = _TABLES.get(op["tbl"])
    if check is None:
        return None
    if TABLES[op["tbl"]].cls == "command" and row is not None and op["kind"] != "insert" \
            and row.get("version") != op["base_version"]:
        return None  # a state moved on since the device saw it: refused as such (``stale_state``)
    merged = {**(row or {}), **op["new"]}
    return check(rows, op, actor, row, merged)


# -- the enforcement ladder ---------------------------------------------------------------------

def _steps(rows: BundleRows, case_id: str, but: str) -> list[dict]:
    """The case's live steps other than ``but``, as this bundle leaves them so far."""
    ids: set[str] = set()
    if ("case_file", case_id) not in rows.new:  # a case opened in this bundle has no step at the hub yet
        ids = {r["id"] for r in rows.conn.execute("SELECT id FROM case_step WHERE case_id = %s", (case_id,))}
    ids |= {i for (t, i), r in list(rows.rows.items()) if t == "case_step" and r and r.get("case_id") == case_id}
    found = [s for s in (rows.get("case_step", i) for i in sorted(ids - {but})) if s is not None and _live(s)]
    return sorted(found, key=lambda s: (s.get("opened_on") or "", s.get("created_at") or ""))


def _frozen(op: dict, allowed: frozenset, rule: str) -> Refused:
    """A row that is never deleted and of which only ``allowed`` columns change: its deletion, or a
    change of another column, refused with ``rule`` naming that column."""
    if op["kind"] == "tombstone":
        return _refused(rule, "deleted_at")
    if op["kind"] == "update" and _changed(op) - allowed:
        return _refused(rule, sorted(_changed(op) - allowed)[0])
    return None


def _case_step(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    frozen = _frozen(op, _STEP_CHANGES, "ladder_immutable")
    if frozen:
        return frozen
    if op["kind"] == "update":
        if row and row.get("status") == "done":
            return _refused("ladder_step_done", "status")
        if "status" in op["new"] and (new.get("status") != "done" or not new.get("done_on")):
            return _refused("ladder_transition", "status", row and row.get("status"), new.get("status"))
        return None
    if new.get("step") not in TRANSITIONS or new.get("status") != "open" or new.get("done_on"):
        return _refused("ladder_transition", "step", None, new.get("step"))
    case = rows.get("case_file", new.get("case_id") or "")
    if not _live(case) or case.get("status") != "open":  # type: ignore[union-attr]
        return _refused("case_not_open", "case_id")
    others = _steps(rows, new["case_id"], op["row_id"])
    if not others:
        return None if new["step"] in FIRST_STEPS else _refused("ladder_transition", "step", None, new["step"])
    if not can(actor.role, "case.manage"):  # an officer opens a case's first step only (with his visit)
        return _refused("ladder_role", "step", actor.role)
    if any(s.get("status") == "open" for s in others):
        return _refused("ladder_step_open", "step")
    previous = others[-1]["step"]
    if new["step"] not in TRANSITIONS.get(previous, ()):
        return _refused("ladder_transition", "step", previous, new["step"])
    return None


def _case_file(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    if op["kind"] == "tombstone":
        return _refused("ladder_immutable", "deleted_at")
    if op["kind"] == "insert":
        return None if new.get("status") == "open" and not new.get("closed_on") else \
            _refused("ladder_transition", "status", None, new.get("status"))
    if _changed(op) - {"status", "closed_on"}:
        return _refused("ladder_immutable", sorted(_changed(op) - {"status", "closed_on"})[0])
    if row and row.get("status") == "closed":
        return _refused("case_not_open", "status")
    if new.get("status") != "closed" or not new.get("closed_on"):
        return _refused("ladder_transition", "status", row and row.get("status"), new.get("status"))
    steps = _steps(rows, op["row_id"], "")
    if any(s.get("status") == "open" for s in steps) or (steps and "closed" not in TRANSITIONS.get(steps[-1]["step"], ())):
        return _refused("ladder_transition", "status", steps[-1]["step"] if steps else None, "closed")
    return None


# -- signed acts ------------------------------------------------------------------------------------

def _decision(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    signed = bool(row) and row.get("status") == "signed"  # type: ignore[union-attr]
    if signed:
        if op["kind"] == "tombstone" or _changed(op) - _AFTER_SIGNING:
            return _refused("decision_signed", sorted(_changed(op) - _AFTER_SIGNING or {"deleted_at"})[0])
    elif op["kind"] == "insert" and new.get("status") != "draft":
        return _refused("decision_not_draft", "status", new.get("status"))
    if new.get("status") != "signed" and any(new.get(c) for c in _SIGNED_ONLY):
        return _refused("decision_not_signed", next(c for c in _SIGNED_ONLY if new.get(c)))
    if new.get("receipt_on") and not new.get("transmitted_on"):
        return _refused("decision_not_transmitted", "receipt_on")
    return None


# -- delegations of signature ----------------------------------------------------------------------

def _delegation(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    frozen = _frozen(op, _DELEGATION_CHANGES, "delegation_immutable")
    if frozen:
        return frozen
    if op["kind"] == "update":
        if row and row.get("withdrawn_on") and {"withdrawn_on", "withdrawal_reason"} & _changed(op):
            return _refused("delegation_withdrawn", "withdrawn_on", row.get("withdrawn_on"))
        if new.get("withdrawn_on") and len((new.get("withdrawal_reason") or "").strip()) < 10:
            return _refused("withdrawal_reason_required", "withdrawal_reason")
        return None
    delegate = rows.get("user", new.get("delegate_id") or "") or {}
    if not _live(delegate) or not delegate.get("active") or delegate.get("role") not in DELEGATE_ROLES:
        return _refused("delegate_role", "delegate_id", delegate.get("role"))
    if new.get("legal_basis") not in ("art103", "art236"):
        return _refused("delegation_basis", "legal_basis", new.get("legal_basis"))
    try:
        decided, start = date.fromisoformat(new["decided_on"]), date.fromisoformat(new["valid_from"])
        end = date.fromisoformat(new["valid_to"]) if new.get("valid_to") else None
    except (KeyError, TypeError, ValueError):
        return _refused("delegation_dates", "valid_from")
    if start < decided or (end is not None and end < start):
        return _refused("delegation_dates", "valid_from")
    fields = json.loads(new.get("scope_fields") or "[]")
    if not isinstance(fields, list) or not fields or "*" in fields:
        return _refused("delegation_all_fields", "scope_fields")
    if new.get("legal_basis") == "art236" and not new.get("district_id"):
        return _refused("delegation_district_required", "district_id")
    if new.get("withdrawn_on"):
        return _refused("delegation_withdrawn", "withdrawn_on")
    taken = rows.conn.execute("SELECT 1 FROM delegation WHERE number = %s AND id != %s AND deleted_at IS NULL",
                              ((new.get("number") or "").strip(), op["row_id"])).fetchone()
    return _refused("delegation_number_taken", "number", new.get("number")) if taken else None


# -- programmes ---------------------------------------------------------------------------------------

def _programme(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    if op["kind"] == "tombstone":
        return None
    if not (new.get("title") or "").strip():
        return _refused("programme_title_required", "title")
    if new.get("kind") not in PROGRAMME_KINDS:
        return _refused("programme_kind_invalid", "kind", new.get("kind"))
    try:
        if date.fromisoformat(new["ends_on"]) < date.fromisoformat(new["starts_on"]):
            return _refused("programme_period_invalid", "ends_on")
    except (KeyError, TypeError, ValueError):
        return _refused("programme_period_invalid", "starts_on")
    districts, fields = json.loads(new.get("districts") or "[]"), json.loads(new.get("fields") or "[]")
    if not isinstance(districts, list) or not isinstance(fields, list) or not districts or not fields:
        return _refused("programme_scope_required", "districts")
    return None


def _brigade(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    if op["kind"] == "tombstone":
        return None
    programme = rows.get("programme", new.get("programme_id") or "")
    if not _live(programme):
        return _refused("programme_unknown", "programme_id")
    if not (programme["starts_on"] <= (new.get("day") or "") <= programme["ends_on"]):  # type: ignore[index]
        return _refused("programme_brigade_outside_period", "day", new.get("day"))
    for column in ("lead_officer_id", "second_officer_id"):
        officer = rows.get("user", new.get(column) or "") if new.get(column) else None
        if (new.get(column) or column == "lead_officer_id") and (
                not _live(officer) or not officer.get("active") or not can(officer.get("role") or "", "inspection.create")):  # type: ignore[union-attr]
            return _refused("officer_unknown", column)
    return None


# -- accounts -----------------------------------------------------------------------------------------

def _user(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    changed = _changed(op)
    if op["kind"] == "insert":
        username = new.get("username") or ""
        if not USERNAME.fullmatch(username):
            return _refused("username_invalid", "username", username[:64])
        if rows.conn.execute('SELECT 1 FROM "user" WHERE username = %s AND id != %s',
                             (username, op["row_id"])).fetchone():
            return _refused("username_taken", "username", username)
    elif "username" in changed:
        return _refused("username_immutable", "username")
    if "role" in changed and new.get("role") not in ROLES:
        return _refused("unknown_role", "role", new.get("role"))
    if "district_id" in changed and new.get("district_id") and not _live(rows.get("district", new["district_id"])):
        return _refused("district_unknown", "district_id")
    if op["row_id"] == actor.id and (not new.get("active") or op["kind"] == "tombstone"):
        return _refused("cannot_disable_self", "active")
    stays_admin = new.get("role") == "administrator" and new.get("active") and op["kind"] != "tombstone"
    if row and row.get("role") == "administrator" and row.get("active") and not stays_admin \
            and not _other_admin(rows, op["row_id"]):
        return _refused("last_administrator", "role")
    return None


def _other_admin(rows: BundleRows, but: str) -> bool:
    for r in rows.conn.execute('SELECT id FROM "user" WHERE role = \'administrator\' AND active = 1'
                               " AND deleted_at IS NULL AND id != %s", (but,)):
        held = rows.get("user", r["id"])
        if _live(held) and held.get("role") == "administrator" and held.get("active"):  # type: ignore[union-attr]
            return True
    return False


# -- attachments ----------------------------------------------------------------------------------

_OWNERS = {"inspection": "inspection", "complaint": "complaint", "decision": "decision"}


def _attachment(rows: BundleRows, op: dict, actor: Any, row: dict | None, new: dict) -> Refused:
    """A file only under an entity its device may see (its arrondissement's, for an officer); a
    decision's file only as the signed act's PDF (``paperwork.sign``), in its signing transaction."""
    if op["kind"] != "insert":
        return None
    table = _OWNERS.get(new.get("owner_type") or "")
    owner = rows.get(table, new.get("owner_id") or "") if table else None
    if owner is None:
        return None  # the domain rules refuse it (owner_invalid, owner_unknown)
    if not actor.full_scope and owner.get("scope_district") not in (None, actor.district_id):
        return _refused("owner_out_of_scope", "owner_id")
    if table == "decision" and (owner.get("status") != "signed" or owner.get("pdf_sha256") != new.get("sha256")):
        return _refused("decision_attachment", "owner_id")
    return None


_TABLES: dict[str, Callable[[BundleRows, dict, Any, dict | None, dict], Refused]] = {
    "case_step": _case_step, "case_file": _case_file, "decision": _decision, "delegation": _delegation,
    "programme": _programme, "programme_brigade": _brigade, "user": _user, "attachment": _attachment}
