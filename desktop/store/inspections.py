"""Inspections: submitting one (a single transaction), reading it back, listing with filters."""
from __future__ import annotations

import json
from dataclasses import dataclass

from desktop.domain.auth import require
from desktop.domain.catalogue import Catalogue
from desktop.domain.model import InspectionInput
from desktop.domain.validation import Context, ValidationFailed, Problem, validate_inspection
from desktop.domain.ids import LOCAL_TZ, parse_utc_text
from desktop.store.cases import open_or_extend_case
from desktop.store.complaints import link_inspection
from desktop.store.db import Store
from desktop.store.errors import StoreError
from desktop.store.listing import KeysetQuery
from desktop.store.sites import create_site, site_text_condition
from desktop.store.users import User, officers

# Columns of a list row, in order; the model maps codes to labels.
LIST_COLUMNS = ("i.id", "i.inspected_at", "i.field_code", "s.name", "i.district_id", "i.outcome",
                "i.lead_officer_id", "i.second_officer_id", "i.origin_type", "i.finding_count")
SORTABLE = ("inspected_at", "field_code", "district_id", "outcome")


@dataclass
class InspectionFilter:
    field_code: str | None = None
    district_id: str | None = None
    date_from: str | None = None  # UTC store format, inclusive
    date_to: str | None = None    # UTC store format, exclusive
    outcome: str | None = None
    officer_id: str | None = None
    site_id: str | None = None
    text: str = ""
    rowids: list[int] | None = None  # a selection made on the map

    def conditions(self) -> tuple[list[str], list]:
        where, params = ["i.deleted_at IS NULL"], []
        for column, value in (("i.field_code", self.field_code), ("i.district_id", self.district_id),
                              ("i.outcome", self.outcome), ("i.site_id", self.site_id)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if self.date_from:
            where.append("i.inspected_at >= ?")
            params.append(self.date_from)
        if self.date_to:
            where.append("i.inspected_at < ?")
            params.append(self.date_to)
        if self.officer_id:
            where.append("(i.lead_officer_id = ? OR i.second_officer_id = ?)")
            params += [self.officer_id, self.officer_id]
        if self.rowids is not None:
            where.append("i.rowid IN (SELECT value FROM json_each(?))")
            params.append(json.dumps([int(r) for r in self.rowids]))
        if self.text.strip():
            cond, cond_params = site_text_condition(self.text)
            where.append(f"i.site_id IN (SELECT id FROM site WHERE {cond}) OR i.notes LIKE ? ESCAPE '\\'")
            params += cond_params + [cond_params[0]]
        return where, params


def inspection_query(filt: InspectionFilter, sort: str = "inspected_at", descending: bool = True) -> KeysetQuery:
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort inspections by {sort!r}")
    keys = ["i.inspected_at", "i.rowid"] if sort == "inspected_at" else [f"i.{sort}", "i.inspected_at", "i.rowid"]
    where, params = filt.conditions()
    return KeysetQuery(columns=LIST_COLUMNS, source="inspection i JOIN site s ON s.id = i.site_id",
                       keys=keys, descending=descending, where=where, params=params)


def validation_context(store: Store, locator=None) -> Context:
    return Context(
        officer_ids={u.id for u in officers(store)},
        district_ids={r["id"] for r in store.query("SELECT id FROM district WHERE deleted_at IS NULL")},
        site_exists=lambda sid: bool(store.scalar(
            "SELECT 1 FROM site WHERE id = ? AND deleted_at IS NULL", (sid,))),
        inspection_exists=lambda iid: bool(store.scalar(
            "SELECT 1 FROM inspection WHERE id = ? AND deleted_at IS NULL", (iid,))),
        bounds=locator.bounds if locator is not None else None,
        district_at=locator.locate if locator is not None else None,
    )


def submit_inspection(store: Store, user: User, inp: InspectionInput, catalogue: Catalogue,
                      ctx: Context | None = None, draft_id: str | None = None) -> str:
    """Validate and save an inspection with its site, findings and photos in one transaction."""
    require(user.role, "inspection.create")
    problems = validate_inspection(inp, catalogue, ctx or validation_context(store))
    for n, photo in enumerate(inp.photos):
        if store.attachments.verify(photo.sha256, photo.size) is not None:
            problems.append(Problem(f"photo:{n}", "photo_missing", (photo.name,)))
    if problems:
        raise ValidationFailed(problems)
    with store.transaction(user.id) as tx:
        if inp.site_id:
            site_id = inp.site_id
        else:
            assert inp.new_site is not None  # validation requires a site or a new one
            site_id = create_site(tx, inp.new_site, inp.district_id, inp.lon, inp.lat)
        others = [o for o in inp.officer_ids[1:]]
        inspection_id = tx.insert("inspection", {
            "field_code": inp.field_code, "site_id": site_id, "inspected_at": inp.inspected_at,
            "lead_officer_id": inp.officer_ids[0], "second_officer_id": others[0] if others else None,
            "lon": inp.lon, "lat": inp.lat, "district_id": inp.district_id,
            "checklist": json.dumps(inp.checklist, sort_keys=True), "notes": inp.notes.strip(),
            "outcome": inp.outcome, "origin_type": inp.origin_type,
            "origin_ref": inp.origin_ref.strip(), "origin_reason": inp.origin_reason.strip(),
            "followup_of": inp.origin_ref.strip() if inp.origin_type == "follow_up" else None,
            "finding_count": len(inp.findings), **_origin_links(tx.conn, inp)})
        if inp.origin_type in ("complaint_citizen", "complaint_president"):
            complaint = tx.conn.execute("SELECT id FROM complaint WHERE reference = ?", (inp.origin_ref.strip(),)).fetchone()
            if complaint:
                link_inspection(tx, complaint[0], inspection_id)
        finding_ids = [tx.insert("finding", {"inspection_id": inspection_id, "violation_code": f.violation_code,
                                             "measure_value": f.measure_value, "note": f.note.strip()})
                       for f in inp.findings]
        # No finding waits without an owner and a date: it opens (or joins) the site's case.
        if inp.outcome == "violations":
            open_or_extend_case(tx, catalogue, site_id, inp.field_code, finding_ids,
                                [f.violation_code for f in inp.findings],
                                parse_utc_text(inp.inspected_at).astimezone(LOCAL_TZ).date(), inp.officer_ids[0])
        for photo in inp.photos:
            tx.insert("attachment", {"sha256": photo.sha256, "mime": photo.mime, "size": photo.size,
                                     "original_name": photo.name, "owner_type": "inspection",
                                     "owner_id": inspection_id})
        if draft_id:
            tx.tombstone("draft", draft_id)
    return inspection_id


def _origin_links(conn, inp: InspectionInput) -> dict:
    """The programme or complaint an inspection's origin names (by title, id or reference)."""
    ref = inp.origin_ref.strip()
    if not ref:
        return {}
    if inp.origin_type in ("programme", "campaign"):
        row = conn.execute("SELECT id FROM programme WHERE id = ? OR title = ? ORDER BY starts_on DESC LIMIT 1",
                           (ref, ref)).fetchone()
        return {"programme_id": row[0]} if row else {}
    if inp.origin_type in ("complaint_citizen", "complaint_president"):
        row = conn.execute("SELECT id FROM complaint WHERE reference = ?", (ref,)).fetchone()
        return {"complaint_id": row[0]} if row else {}
    return {}


def get_inspection(store: Store, inspection_id: str) -> dict:
    rows = store.query("SELECT i.*, s.name AS site_name, s.address AS site_address, s.kind AS site_kind,"
                       " s.owner_name AS site_owner FROM inspection i JOIN site s ON s.id = i.site_id"
                       " WHERE i.id = ?", (inspection_id,))
    if not rows:
        raise StoreError("record_missing", f"inspection {inspection_id}")
    row = rows[0]
    row["checklist"] = json.loads(row["checklist"] or "{}")
    row["findings"] = store.query(
        "SELECT id, violation_code, measure_value, note FROM finding"
        " WHERE inspection_id = ? AND deleted_at IS NULL ORDER BY rowid", (inspection_id,))
    row["photos"] = store.query(
        "SELECT sha256, mime, size, original_name FROM attachment"
        " WHERE owner_type = 'inspection' AND owner_id = ? AND deleted_at IS NULL ORDER BY rowid",
        (inspection_id,))
    return row


def inspection_id_for_rowid(store: Store, rowid: int) -> str | None:
    return store.scalar("SELECT id FROM inspection WHERE rowid = ?", (int(rowid),))
