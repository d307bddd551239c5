"""The indicators of the annual report and the dashboard: one query layer for both.

Every figure is a SQL aggregate over the period [start, end) (dates, local days), optionally for
one arrondissement or police field; nothing loads the inspections themselves.
"""
from __future__ import annotations

import statistics
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from desktop.domain.ladder import document_series, governor_deadline
from desktop.store.db import Store


class ComputeCancelled(CancelledError):
    """``cancelled()`` answered True between two queries of ``compute``."""


@dataclass
class Scope:
    start: date
    end: date  # exclusive
    district_id: str | None = None
    field_code: str | None = None

    def previous(self) -> "Scope":
        length = self.end - self.start
        return Scope(self.start - length, self.start, self.district_id, self.field_code)

    def where(self, alias: str = "i") -> tuple[str, list]:
        parts = [f"{alias}.deleted_at IS NULL", f"{alias}.inspected_at >= ?", f"{alias}.inspected_at < ?"]
        params: list = [f"{self.start.isoformat()}T00:00:00Z", f"{self.end.isoformat()}T00:00:00Z"]
        if self.district_id:
            parts.append(f"{alias}.district_id = ?")
            params.append(self.district_id)
        if self.field_code:
            parts.append(f"{alias}.field_code = ?")
            params.append(self.field_code)
        return " AND ".join(parts), params


@dataclass
class Indicators:
    scope: Scope
    inspections: int = 0
    by_field: list[tuple[str, int]] = field(default_factory=list)
    by_district: list[dict] = field(default_factory=list)
    by_month: list[tuple[str, int]] = field(default_factory=list)
    by_origin: list[tuple[str, int]] = field(default_factory=list)
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    by_violation: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[dict] = field(default_factory=list)
    overdue_steps: int = 0
    referrals: list[dict] = field(default_factory=list)
    decisions: dict = field(default_factory=dict)
    complaints: dict = field(default_factory=dict)
    workload: list[dict] = field(default_factory=list)
    previous_inspections: int | None = None


# Fewer inspections than this in the previous period, or a previous period the records do not
# wholly cover, and a percentage of change says nothing ("+737 %" against a nearly empty start).
MIN_COMPARABLE = 30


def first_recorded(store: Store) -> date | None:
    """The day of the first inspection recorded (the data begin there)."""
    first = store.scalar("SELECT min(inspected_at) FROM inspection WHERE deleted_at IS NULL")
    return date.fromisoformat(first[:10]) if first else None


def comparable_change(current: int, previous: int | None, previous_start: date, first: date | None) -> float | None:
    """The change from the previous period of the same length, or None when it would mislead:
    no previous period, too few inspections in it, or records that begin after it started."""
    if not previous or previous < MIN_COMPARABLE or first is None or first > previous_start:
        return None
    return (current - previous) / previous


def data_as_of(store: Store) -> str | None:
    """When the data were last written (the journal's last entry, UTC ISO): what a report or the
    dashboard shows as "data as of"."""
    return store.scalar("SELECT at FROM journal ORDER BY seq DESC LIMIT 1")


def _pairs(store: Store, sql: str, params) -> list[tuple]:
    return [tuple(r) for r in store.conn.execute(sql, params).fetchall()]


def compute(store: Store, scope: Scope, with_previous: bool = True,
            cancelled: Callable[[], bool] = lambda: False,
            progress: Callable[[int, int], None] | None = None) -> Indicators:
    """All the indicators of ``scope``; ``cancelled()`` is polled between queries (a cancel raises
    ``ComputeCancelled``, a ``concurrent.futures.CancelledError``) and ``progress(done, total)``
    told after each."""
    w, p = scope.where()
    ind = Indicators(scope)
    steps = [
        ("inspections", lambda: store.scalar(f"SELECT count(*) FROM inspection i WHERE {w}", p)),
        ("by_field", lambda: _pairs(store, f"SELECT field_code, count(*) FROM inspection i WHERE {w} GROUP BY 1 ORDER BY 2 DESC", p)),
        ("by_month", lambda: _pairs(store, f"SELECT substr(inspected_at, 1, 7), count(*) FROM inspection i WHERE {w} GROUP BY 1 ORDER BY 1", p)),
        ("by_origin", lambda: _pairs(store, f"SELECT origin_type, count(*) FROM inspection i WHERE {w} GROUP BY 1 ORDER BY 2 DESC", p)),
        ("by_outcome", lambda: _pairs(store, f"SELECT outcome, count(*) FROM inspection i WHERE {w} GROUP BY 1 ORDER BY 2 DESC", p)),
        ("by_violation", lambda: _pairs(store, f"SELECT f.violation_code, count(*) FROM finding f JOIN inspection i ON i.id = f.inspection_id"
                                               f" WHERE {w} AND f.deleted_at IS NULL GROUP BY 1 ORDER BY 2 DESC", p)),
        ("by_district", lambda: _districts(store, w, p)),
        ("funnel", lambda: _funnel(store, scope)),
        ("overdue_steps", lambda: store.scalar("SELECT count(*) FROM case_step WHERE status = 'open' AND due_on < ?",
                                               (min(scope.end, date.today()).isoformat(),))),
        ("referrals", lambda: _referrals(store, scope)),
        ("decisions", lambda: _decisions(store, scope)),
        ("complaints", lambda: _complaints(store, scope)),
        ("workload", lambda: _workload(store, w, p)),
    ]
    if with_previous:
        prev_w, prev_p = scope.previous().where()
        steps.append(("previous_inspections", lambda: store.scalar(f"SELECT count(*) FROM inspection i WHERE {prev_w}", prev_p)))
    for n, (name, fn) in enumerate(steps, 1):
        if cancelled():
            raise ComputeCancelled()
        setattr(ind, name, fn())
        if progress:
            progress(n, len(steps))
    return ind


def _districts(store: Store, w: str, p: list) -> list[dict]:
    rows = store.query(f"SELECT d.id, d.name_ar, d.name_fr, d.population, count(i.id) AS inspections,"
                       f" sum(i.outcome = 'violations') AS violations FROM district d LEFT JOIN inspection i"
                       f" ON i.district_id = d.id AND {w} WHERE d.deleted_at IS NULL GROUP BY d.id ORDER BY d.name_fr", p)
    for r in rows:
        r["violations"] = r["violations"] or 0
        pop = r["population"] or 0
        r["per_1000"] = r["inspections"] / pop * 1000 if pop else None
        r["violations_per_1000"] = r["violations"] / pop * 1000 if pop else None
    return rows


def _funnel(store: Store, scope: Scope) -> list[dict]:
    """Cases opened in the period and how far they went, with conversion and median delays."""
    params = (scope.start.isoformat(), scope.end.isoformat())
    opened = store.scalar("SELECT count(*) FROM case_file WHERE opened_on >= ? AND opened_on < ?", params) or 0
    rows = [{"rung": "findings", "count": opened, "rate": 1.0 if opened else None, "median_days": None}]
    for rung in ("formal_notice", "decision", "execution"):
        delays = [r[0] for r in store.conn.execute(
            "SELECT min(julianday(s.opened_on)) - julianday(c.opened_on) FROM case_step s JOIN case_file c ON c.id = s.case_id"
            " WHERE c.opened_on >= ? AND c.opened_on < ? AND s.step = ? GROUP BY s.case_id", (*params, rung))]
        rows.append({"rung": rung, "count": len(delays), "rate": len(delays) / opened if opened else None,
                     "median_days": statistics.median(delays) if delays else None})
    closed = [r[0] for r in store.conn.execute(
        "SELECT julianday(closed_on) - julianday(opened_on) FROM case_file WHERE opened_on >= ? AND opened_on < ?"
        " AND status = 'closed'", params)]
    rows.append({"rung": "closed", "count": len(closed), "rate": len(closed) / opened if opened else None,
                 "median_days": statistics.median(closed) if closed else None})
    return rows


def _referrals(store: Store, scope: Scope) -> list[dict]:
    rows = store.query(
        "SELECT coalesce(json_extract(s.data, '$.authority'), 'urbanism_controller') AS authority, count(*) AS sent,"
        " sum(s.status = 'done') AS followed_up FROM case_step s WHERE s.step = 'referral' AND s.opened_on >= ? AND s.opened_on < ?"
        " GROUP BY 1 ORDER BY 2 DESC", (scope.start.isoformat(), scope.end.isoformat()))
    for r in rows:
        r["followed_up"] = r["followed_up"] or 0
    return rows


def _decisions(store: Store, scope: Scope) -> dict:
    rows = store.query("SELECT kind, oversight_class, signed_on, delivered_on, transmitted_on, appeal_on FROM decision"
                       " WHERE status = 'signed' AND signed_on >= ? AND signed_on < ?",
                       (scope.start.isoformat(), scope.end.isoformat()))
    within = late = no_deadline = 0
    for r in rows:
        due = governor_deadline(r["oversight_class"], date.fromisoformat(r["signed_on"]),
                                date.fromisoformat(r["delivered_on"]) if r["delivered_on"] else None)
        if due is None:
            no_deadline += 1
        elif r["transmitted_on"] and r["transmitted_on"] <= due.isoformat():
            within += 1
        else:
            late += 1
    series = [document_series(r["kind"]) for r in rows]
    # Signed arrêtés apart from notices and letters (legal review B5): "signed" counts arrêtés only.
    return {"signed": series.count("arrete"), "notices": series.count("notice"), "letters": series.count("letter"),
            "transmitted_in_time": within, "transmitted_late_or_not": late,
            "no_deadline": no_deadline, "appealed": sum(1 for r in rows if r["appeal_on"])}


def _complaints(store: Store, scope: Scope) -> dict:
    params = (scope.start.isoformat(), scope.end.isoformat())
    row = store.query(
        "SELECT count(*) AS received, sum(status NOT IN ('received')) AS handled, sum(answered_on IS NOT NULL) AS answered,"
        " sum(answered_on IS NOT NULL AND answered_on <= answer_due) AS answered_in_time,"
        " sum(status = 'forwarded') AS forwarded, sum(status = 'rejected') AS rejected"
        " FROM complaint WHERE received_on >= ? AND received_on < ?", params)[0]
    return {k: v or 0 for k, v in row.items()}


def _workload(store: Store, w: str, p: list) -> list[dict]:
    return store.query(f"SELECT u.id, u.full_name_ar, u.full_name_fr, count(*) AS inspections,"
                       f" count(DISTINCT substr(i.inspected_at, 1, 10)) AS days"
                       f" FROM inspection i JOIN [user] u ON u.id = i.lead_officer_id OR u.id = i.second_officer_id"
                       f" WHERE {w} GROUP BY u.id ORDER BY inspections DESC", p)


def year_scope(year: int) -> Scope:
    return Scope(date(year, 1, 1), date(year + 1, 1, 1))


def last_days(days: int, today: date | None = None) -> Scope:
    today = today or date.today()
    return Scope(today - timedelta(days=days), today + timedelta(days=1))
