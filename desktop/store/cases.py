"""Cases: one site's violations in one police field followed along the enforcement ladder."""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import date

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.domain.catalogue import Catalogue
from desktop.domain.ladder import (FIELD_STEPS, STEP_DAYS, check_notice_served, check_transition, decision_kind,
                                   due_on, first_step)
from desktop.store.db import Store, Transaction
from desktop.store.errors import StoreError
from desktop.store.users import User


def coordinator_id(conn) -> str | None:
    row = conn.execute("SELECT id FROM [user] WHERE role = 'coordinator' AND active = 1 AND deleted_at IS NULL"
                       " ORDER BY created_at LIMIT 1").fetchone()
    return row[0] if row else None


def _owner(conn, step: str, officer_id: str | None) -> str | None:
    return officer_id if step in FIELD_STEPS and officer_id else coordinator_id(conn)


def open_or_extend_case(tx: Transaction, catalogue: Catalogue, site_id: str, field_code: str,
                        finding_ids: list[str], codes: list[str], on: date, officer_id: str | None) -> str | None:
    """Attach new findings to the site's open case for the field, or open one with its first
    step (in the caller's transaction). Returns the case id (None without findings)."""
    if not finding_ids:
        return None
    conn = tx.conn
    row = conn.execute("SELECT id FROM case_file WHERE site_id = ? AND field_code = ? AND status = 'open'"
                       " AND deleted_at IS NULL", (site_id, field_code)).fetchone()
    if row:
        case_id = row[0]
    else:
        case_id = tx.insert("case_file", {"site_id": site_id, "field_code": field_code, "opened_on": on.isoformat()})
        violations = [catalogue.violation(c) for c in codes if catalogue.has_violation(c)]
        step, days, authority = first_step(violations)
        tx.insert("case_step", {"case_id": case_id, "step": step, "opened_on": on.isoformat(),
                                "due_on": due_on(on, days).isoformat(), "owner_id": _owner(conn, step, officer_id),
                                "data": json.dumps({"authority": authority} if authority else {})})
    for finding_id in finding_ids:
        tx.insert("case_finding", {"case_id": case_id, "finding_id": finding_id})
    return case_id


@dataclass
class CaseStep:
    id: str
    step: str
    status: str
    opened_on: str
    due_on: str
    owner_id: str | None
    done_on: str | None
    result: str
    data: dict


def case_steps(store: Store, case_id: str) -> list[CaseStep]:
    rows = store.query("SELECT id, step, status, opened_on, due_on, owner_id, done_on, result, data FROM case_step"
                       " WHERE case_id = ? AND deleted_at IS NULL ORDER BY opened_on, rowid", (case_id,))
    return [CaseStep(**{**r, "data": json.loads(r["data"] or "{}")}) for r in rows]


def case_violations(store: Store, case_id: str) -> list[str]:
    return [r["violation_code"] for r in store.query(
        "SELECT f.violation_code FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
        " WHERE cf.case_id = ? ORDER BY f.rowid", (case_id,))]


def current_step(store: Store, case_id: str) -> CaseStep | None:
    steps = [s for s in case_steps(store, case_id) if s.status == "open"]
    return steps[-1] if steps else None


def _served_notice(store: Store, case_id: str, steps: list[CaseStep]) -> tuple[bool, date | None, int]:
    """(the case went through a formal notice, the day its last signed notice was delivered or
    None, the notice's days)."""
    notices = [s for s in steps if s.step == "formal_notice"]
    since = notices[-1].opened_on if notices else ""  # the notice of the last notice step, not an older one
    row = store.query("SELECT delivered_on, content FROM decision WHERE case_id = ? AND kind = 'formal_notice'"
                      " AND status = 'signed' AND signed_on >= ? ORDER BY signed_on DESC, number DESC LIMIT 1",
                      (case_id, since))
    delivered = date.fromisoformat(row[0]["delivered_on"]) if row and row[0]["delivered_on"] else None
    days = ((date.fromisoformat(notices[-1].due_on) - date.fromisoformat(notices[-1].opened_on)).days
            if notices else STEP_DAYS["formal_notice"])
    printed = _printed_deadline(row[0]["content"]) if row else None
    return bool(notices), delivered, printed if printed is not None else days


def _printed_deadline(content: str) -> int | None:
    """The deadline the signed notice gives (the president may have set it while drafting): the
    one that binds, rather than the step's default."""
    try:
        days = json.loads(content).get("values_fr", {}).get("deadline_days", "")
    except (ValueError, AttributeError):
        return None
    return int(days) if isinstance(days, str) and days.isdigit() else None


def advance(store: Store, user: User, case_id: str, following: str, result: str = "", on: date | None = None,
            days: int | None = None, data: dict | None = None, catalogue: Catalogue | None = None) -> str | None:
    """Close the open step with ``result`` and open ``following`` (or close the case).

    A notice must have been signed and delivered before the re-inspection it calls for, and before
    a decision the law conditions on it (the kind from ``catalogue``, or any decision of a case
    that went through a notice), once its deadline, counted from delivery, has passed; the
    re-inspection falls due after that deadline."""
    require(user.role, "case.manage")
    on = on or date.today()
    step = current_step(store, case_id)
    if step is None:
        raise Refusal("no_open_step")
    check_transition(step.step, following)
    kind = None
    if catalogue is not None and following == "decision":
        kind = decision_kind([catalogue.violation(c) for c in dict.fromkeys(case_violations(store, case_id))
                              if catalogue.has_violation(c)])
    went, delivered, notice_days = _served_notice(store, case_id, case_steps(store, case_id))
    ends = check_notice_served(following, kind, went, delivered, notice_days, on)
    if following == "reinspection" and ends is not None and days is None:
        days = max((ends - on).days, 0) + STEP_DAYS["reinspection"]
    with store.transaction(user.id) as tx:
        # re-read inside the write lock: the step may have been closed since (no lost update)
        if store.scalar("SELECT status FROM case_step WHERE id = ? AND deleted_at IS NULL", (step.id,)) != "open":
            raise Refusal("changed_meanwhile")
        tx.update("case_step", step.id, {"status": "done", "done_on": on.isoformat(), "result": result})
        if following == "closed":
            tx.update("case_file", case_id, {"status": "closed", "closed_on": on.isoformat()})
            return None
        officer = store.scalar("SELECT i.lead_officer_id FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                               " JOIN inspection i ON i.id = f.inspection_id WHERE cf.case_id = ?"
                               " ORDER BY i.inspected_at DESC LIMIT 1", (case_id,))
        return tx.insert("case_step", {
            "case_id": case_id, "step": following, "opened_on": on.isoformat(),
            "due_on": due_on(on, days if days is not None else STEP_DAYS[following]).isoformat(),
            "owner_id": _owner(tx.conn, following, officer), "data": json.dumps(data or {})})


# The step a signed document completes, and the one that follows: a decision signed opens its
# notification. A notice signed does not move the ladder yet: its deadline runs from its delivery,
# and recording the delivery opens the re-inspection (services.case_facts.record_notice_delivery).
# A letter (referral, public force) waits for the answer it asks for.
AFTER_SIGNATURE = {"decision": "notification"}


def step_after_signature(tx: Transaction, case_id: str | None, step_id: str | None, reference: str,
                         period_days: int | None, on: date) -> str | None:
    """In the signing transaction: close the step the document was drafted for (if still open)
    with the document's reference, and open the next one. Returns the new step's id."""
    if not case_id or not step_id:
        return None
    row = tx.conn.execute("SELECT step, status FROM case_step WHERE id = ? AND deleted_at IS NULL", (step_id,)).fetchone()
    if row is None or row[1] != "open" or row[0] not in AFTER_SIGNATURE:
        return None
    following = AFTER_SIGNATURE[row[0]]
    check_transition(row[0], following)
    tx.update("case_step", step_id, {"status": "done", "done_on": on.isoformat(), "result": reference})
    days = STEP_DAYS[following] + (period_days or 0 if row[0] == "formal_notice" else 0)
    officer = tx.conn.execute("SELECT i.lead_officer_id FROM case_finding cf JOIN finding f ON f.id = cf.finding_id"
                              " JOIN inspection i ON i.id = f.inspection_id WHERE cf.case_id = ?"
                              " ORDER BY i.inspected_at DESC LIMIT 1", (case_id,)).fetchone()
    return tx.insert("case_step", {"case_id": case_id, "step": following, "opened_on": on.isoformat(),
                                   "due_on": due_on(on, days).isoformat(),
                                   "owner_id": _owner(tx.conn, following, officer[0] if officer else None),
                                   "data": json.dumps({})})


def overdue_steps(store: Store, today: date | None = None, limit: int = 500) -> list[dict]:
    today = today or date.today()
    return store.query(
        "SELECT s.id AS step_id, s.case_id, s.step, s.due_on, s.owner_id, c.field_code, c.site_id, st.name AS site_name"
        " FROM case_step s JOIN case_file c ON c.id = s.case_id JOIN site st ON st.id = c.site_id"
        " WHERE s.status = 'open' AND s.due_on < ? AND s.deleted_at IS NULL ORDER BY s.due_on LIMIT ?",
        (today.isoformat(), limit))


FUNNEL = ("findings", "formal_notice", "decision", "notification", "execution", "closed")


def funnel(store: Store, since: str | None = None) -> list[dict]:
    """How many cases reached each rung, and the median days from the case's opening to it."""
    where, params = ("WHERE c.opened_on >= ?", (since,)) if since else ("", ())
    cases = store.scalar(f"SELECT count(*) FROM case_file c {where}", params)
    out = [{"rung": "findings", "cases": cases, "median_days": 0.0}]
    for rung in FUNNEL[1:]:
        if rung == "closed":
            rows = store.conn.execute(f"SELECT julianday(c.closed_on) - julianday(c.opened_on) FROM case_file c"
                                      f" {where} {'AND' if where else 'WHERE'} c.status = 'closed'", params).fetchall()
        else:
            rows = store.conn.execute(
                f"SELECT min(julianday(s.opened_on)) - julianday(c.opened_on) FROM case_step s"
                f" JOIN case_file c ON c.id = s.case_id {where} {'AND' if where else 'WHERE'} s.step = ?"
                f" GROUP BY s.case_id", (*params, rung)).fetchall()
        days = [r[0] for r in rows if r[0] is not None]
        out.append({"rung": rung, "cases": len(days), "median_days": statistics.median(days) if days else None})
    return out


def case_header(store: Store, case_id: str) -> dict:
    """A case's field, status and site (name, address, owner)."""
    rows = store.query("SELECT c.field_code, c.status, s.name, s.address, s.owner_name FROM case_file c"
                       " JOIN site s ON s.id = c.site_id WHERE c.id = ?", (case_id,))
    if not rows:
        raise StoreError("record_missing", f"case {case_id}")
    return rows[0]


def case_decisions(store: Store, case_id: str) -> list[dict]:
    """The documents drafted or signed for a case, oldest first."""
    return store.query("SELECT id, kind, year, number, status, delivered_on FROM decision WHERE case_id = ?"
                       " ORDER BY created_at", (case_id,))


CASE_FACTS = ("permit_ref", "permit_date", "expertise_ref", "expertise_date")


def record_case_fact(store: Store, user: User, case_id: str, key: str, value: str) -> None:
    """Record on the case's open step a fact a document cites and no other event holds: the permit
    a withdrawal identifies (Law 03-01 art. 2; Law 57-19 art. 23), the technical expertise a ruin
    order rests on (Law 94-12 arts 6, 9). Dates are ISO (YYYY-MM-DD)."""
    require(user.role, "case.manage")
    if key not in CASE_FACTS:
        raise Refusal("unknown_case_fact", key=key)
    value = value.strip()
    if not value:
        raise Refusal("case_fact_empty", key=key)
    if key.endswith("_date"):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise Refusal("case_fact_bad_date", key=key, value=value) from None
    step = current_step(store, case_id)
    if step is None:
        raise Refusal("no_open_step")
    with store.transaction(user.id) as tx:
        tx.update("case_step", step.id, {"data": json.dumps({**step.data, key: value}, ensure_ascii=False)})
