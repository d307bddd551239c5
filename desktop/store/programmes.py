"""Campaign programmes: a period, arrondissements, fields, targets and brigades by day; the
visit list of a brigade; progress as inspections are logged."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.store.db import Store
from desktop.store.users import User

KINDS = ("weekly", "complaint_wave", "seasonal")


class ProgrammeError(Refusal):
    prefix = "c."


@dataclass
class Brigade:
    day: date
    lead_officer_id: str
    second_officer_id: str | None = None
    district_id: str | None = None


@dataclass
class ProgrammeInput:
    title: str
    kind: str
    starts_on: date
    ends_on: date
    districts: list[str]
    fields: list[str]
    brigades: list[Brigade] = field(default_factory=list)
    target_visits: int = 0
    agreed_with: str = ""
    agreed_on: date | None = None
    theme: str = ""


def check_programme(store: Store, inp: ProgrammeInput, names: dict[str, str] | None = None) -> None:
    if not inp.title.strip():
        raise ProgrammeError("programme_title_required")
    if inp.kind not in KINDS:
        raise ProgrammeError("programme_kind_invalid")
    if inp.ends_on < inp.starts_on:
        raise ProgrammeError("programme_period_invalid")
    if not inp.districts or not inp.fields:
        raise ProgrammeError("programme_scope_required")
    if not inp.brigades:
        raise ProgrammeError("programme_without_brigade")
    booked: dict[tuple[str, str], str] = {}
    for b in inp.brigades:
        if not inp.starts_on <= b.day <= inp.ends_on:
            raise ProgrammeError("programme_brigade_outside_period", day=b.day.isoformat())
        for officer in filter(None, (b.lead_officer_id, b.second_officer_id)):
            key = (officer, b.day.isoformat())
            if key in booked:
                raise ProgrammeError("officer_double_booked", officer=(names or {}).get(officer, officer), day=key[1])
            booked[key] = inp.title
    for officer, day in booked:
        other = store.query("SELECT p.title FROM programme_brigade b JOIN programme p ON p.id = b.programme_id"
                            " WHERE b.day = ? AND (b.lead_officer_id = ? OR b.second_officer_id = ?)"
                            " AND b.deleted_at IS NULL AND p.deleted_at IS NULL LIMIT 1", (day, officer, officer))
        if other:
            raise ProgrammeError("officer_double_booked", officer=(names or {}).get(officer, officer), day=day,
                                 other=other[0]["title"])


def create_programme(store: Store, user: User, inp: ProgrammeInput) -> str:
    require(user.role, "programme.manage")
    names = {r["id"]: r["full_name_fr"] for r in store.query("SELECT id, full_name_fr FROM [user]")}
    check_programme(store, inp, names)
    with store.transaction(user.id) as tx:
        programme_id = tx.insert("programme", {
            "title": inp.title.strip(), "kind": inp.kind, "starts_on": inp.starts_on.isoformat(),
            "ends_on": inp.ends_on.isoformat(), "districts": json.dumps(inp.districts), "fields": json.dumps(inp.fields),
            "target_visits": inp.target_visits, "agreed_with": inp.agreed_with.strip(),
            "agreed_on": inp.agreed_on.isoformat() if inp.agreed_on else None, "theme": inp.theme.strip()})
        for b in inp.brigades:
            tx.insert("programme_brigade", {"programme_id": programme_id, "day": b.day.isoformat(),
                                            "lead_officer_id": b.lead_officer_id, "second_officer_id": b.second_officer_id,
                                            "district_id": b.district_id or inp.districts[0]})
    return programme_id


def programmes(store: Store, on: date | None = None) -> list[dict]:
    sql = "SELECT * FROM programme WHERE deleted_at IS NULL"
    params: tuple = ()
    if on:
        sql += " AND starts_on <= ? AND ends_on >= ?"
        params = (on.isoformat(), on.isoformat())
    return store.query(sql + " ORDER BY starts_on DESC", params)


def calendar(store: Store, programme_id: str) -> list[dict]:
    """Brigades by day: day, officers, district, planned and logged visits."""
    return store.query(
        "SELECT b.id, b.day, b.lead_officer_id, b.second_officer_id, b.district_id,"
        " (SELECT count(*) FROM inspection i WHERE i.programme_id = b.programme_id AND substr(i.inspected_at, 1, 10) = b.day"
        "   AND (i.lead_officer_id = b.lead_officer_id)) AS logged"
        " FROM programme_brigade b WHERE b.programme_id = ? AND b.deleted_at IS NULL ORDER BY b.day, b.rowid",
        (programme_id,))


def visit_list(store: Store, brigade_id: str, limit: int = 8) -> list[dict]:
    """Where a brigade goes: sites of its arrondissement in the programme's fields, those with an
    open case first, then those not inspected for the longest time."""
    b = store.query("SELECT b.*, p.fields FROM programme_brigade b JOIN programme p ON p.id = b.programme_id"
                    " WHERE b.id = ?", (brigade_id,))[0]
    fields = json.loads(b["fields"])
    marks = ", ".join("?" for _ in fields)
    return store.query(
        f"SELECT s.id, s.name, s.address, s.kind, s.lon, s.lat,"
        f" EXISTS (SELECT 1 FROM case_file c WHERE c.site_id = s.id AND c.status = 'open') AS open_case,"
        f" (SELECT max(i.inspected_at) FROM inspection i WHERE i.site_id = s.id) AS last_visit"
        f" FROM site s WHERE s.district_id = ? AND s.deleted_at IS NULL AND EXISTS (SELECT 1 FROM inspection i"
        f" WHERE i.site_id = s.id AND i.field_code IN ({marks}))"
        f" ORDER BY open_case DESC, last_visit IS NOT NULL, last_visit LIMIT ?", (b["district_id"], *fields, limit))


def progress(store: Store, programme_id: str) -> dict:
    p = store.query("SELECT target_visits FROM programme WHERE id = ?", (programme_id,))[0]
    done = store.scalar("SELECT count(*) FROM inspection WHERE programme_id = ?", (programme_id,))
    planned = store.scalar("SELECT count(*) FROM programme_brigade WHERE programme_id = ?", (programme_id,))
    return {"target": p["target_visits"], "done": done, "brigade_days": planned,
            "share": done / p["target_visits"] if p["target_visits"] else None}
