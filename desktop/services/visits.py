"""Why an inspection happens: a new inspection prepared from a complaint."""
from __future__ import annotations

from datetime import datetime, timezone

from desktop.domain.ids import to_utc_text
from desktop.domain.model import InspectionInput
from desktop.store.users import User

FIELD_ROLES = ("officer", "coordinator")


def inspection_for_complaint(complaint: dict, user: User, now: datetime | None = None) -> InspectionInput:
    """An inspection caused by a complaint: origin (citizen or arrondissement president), its
    reference, the field and the place filled in; the user leads it when he goes in the field."""
    kind = "complaint_president" if complaint["complainant_kind"] == "district_president" else "complaint_citizen"
    return InspectionInput(
        field_code=complaint["field_code"], inspected_at=to_utc_text(now or datetime.now(timezone.utc)),
        origin_type=kind, origin_ref=complaint["reference"], lon=complaint["lon"], lat=complaint["lat"],
        district_id=complaint["district_id"], officer_ids=[user.id] if user.role in FIELD_ROLES else [])


def inspection_case(store, inspection_id: str) -> dict | None:
    """The case an inspection's findings joined, with its open step (``step``, ``due_on``; None
    when the case has none open), or None when it joined no case."""
    rows = store.query(
        "SELECT c.id AS case_id, st.name AS site, s.step, s.due_on FROM case_finding cf"
        " JOIN finding f ON f.id = cf.finding_id JOIN case_file c ON c.id = cf.case_id JOIN site st ON st.id = c.site_id"
        " LEFT JOIN case_step s ON s.case_id = c.id AND s.status = 'open' AND s.deleted_at IS NULL"
        " WHERE f.inspection_id = ? AND cf.deleted_at IS NULL ORDER BY s.due_on LIMIT 1", (inspection_id,))
    return rows[0] if rows else None


def inspection_summary(store, rowid: int) -> tuple[str, str] | None:
    """(site name, inspected_at) of the inspection with this rowid (the map's points carry rowids)."""
    rows = store.query("SELECT s.name, i.inspected_at FROM inspection i JOIN site s ON s.id = i.site_id"
                       " WHERE i.rowid = ?", (rowid,))
    return (rows[0]["name"], rows[0]["inspected_at"]) if rows else None
