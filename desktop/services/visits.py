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
