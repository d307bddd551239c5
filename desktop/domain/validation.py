"""Rules an inspection must satisfy before it is submitted.

Each problem names the form field it belongs to, so the form shows it next to that field, and a
message code that ``desktop.i18n`` turns into Arabic or French.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from desktop.domain.catalogue import Catalogue
from desktop.domain.errors import Refusal
from desktop.domain.ids import parse_utc_text
from desktop.domain.model import ANSWERS, ORIGINS, OUTCOMES, OWNER_ID_KINDS, SITE_KINDS, InspectionInput, SiteInput

MIN_REASON_CHARS = 10
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Problem:
    field: str  # form field: "field_code", "site", "location", "finding:2", ...
    code: str   # message code, see resources/i18n
    params: tuple = ()


@dataclass
class Context:
    """What validation needs to know of the database, given as plain values and callables."""
    officer_ids: set[str] = field(default_factory=set)
    district_ids: set[str] = field(default_factory=set)
    site_exists: Callable[[str], bool] = lambda _id: False
    inspection_exists: Callable[[str], bool] = lambda _id: False
    bounds: tuple[float, float, float, float] | None = None  # lon_min, lat_min, lon_max, lat_max
    # (lon, lat) -> the district the point falls in (None outside every one): a point in one
    # district is never stored with another district
    district_at: Callable[[float, float], str | None] | None = None
    now: datetime | None = None


def check_coordinates(lon: float | None, lat: float | None,
                      bounds: tuple[float, float, float, float] | None) -> str | None:
    """Message code for bad coordinates, or None when they are usable."""
    if lon is None or lat is None:
        return "location_required"
    if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return "coordinates_invalid"
    if bounds is not None:
        x0, y0, x1, y1 = bounds
        margin = 0.05  # about 5 km
        if not (x0 - margin <= lon <= x1 + margin and y0 - margin <= lat <= y1 + margin):
            return "coordinates_outside_commune"
    return None


def validate_inspection(inp: InspectionInput, catalogue: Catalogue, ctx: Context) -> list[Problem]:
    problems: list[Problem] = []
    add = lambda f, code, *params: problems.append(Problem(f, code, params))  # noqa: E731

    fld = None
    if not inp.field_code:
        add("field_code", "required")
    elif not catalogue.has_field(inp.field_code):
        add("field_code", "unknown_field", inp.field_code)
    else:
        fld = catalogue.field(inp.field_code)

    _validate_site(inp, ctx, add)

    if not inp.inspected_at:
        add("inspected_at", "required")
    else:
        try:
            when = parse_utc_text(inp.inspected_at)
        except ValueError:
            add("inspected_at", "date_invalid")
        else:
            if when > (ctx.now or datetime.now(timezone.utc)) + CLOCK_SKEW:
                add("inspected_at", "date_in_future")

    if not inp.officer_ids:
        add("officers", "officer_required")
    elif len(inp.officer_ids) > 2:
        add("officers", "too_many_officers")
    elif len(set(inp.officer_ids)) != len(inp.officer_ids):
        add("officers", "officers_same")
    elif not set(inp.officer_ids) <= ctx.officer_ids:
        add("officers", "officer_unknown")

    coord = check_coordinates(inp.lon, inp.lat, ctx.bounds)
    if coord:
        add("location", coord)
    if not inp.district_id:
        add("district", "required")
    elif inp.district_id not in ctx.district_ids:
        add("district", "district_unknown")
    elif not coord and ctx.district_at is not None and inp.lon is not None and inp.lat is not None:
        located = ctx.district_at(inp.lon, inp.lat)
        if located is not None and located != inp.district_id:
            add("district", "district_not_at_point")

    if fld is not None:
        items = {i.code for i in fld.checklist}
        for code, answer in inp.checklist.items():
            if code not in items:
                add("checklist", "unknown_checklist_item", code)
            elif answer not in ANSWERS:
                add("checklist", "answer_invalid", code)
        for n, f in enumerate(inp.findings):
            where = f"finding:{n}"
            if not catalogue.has_violation(f.violation_code, fld.code):
                add(where, "unknown_violation", f.violation_code, fld.code)
                continue
            v = catalogue.violation(f.violation_code)
            if f.measure_value is not None and (not math.isfinite(f.measure_value) or f.measure_value < 0):
                add(where, "measure_invalid", f.violation_code)
            elif v.measure and v.measure.required and f.measure_value is None:
                add(where, "measure_required", f.violation_code, v.measure.unit)

    if not inp.outcome:
        add("outcome", "required")
    elif inp.outcome not in OUTCOMES:
        add("outcome", "outcome_invalid", inp.outcome)
    elif inp.outcome == "violations" and not inp.findings:
        add("outcome", "outcome_needs_findings")
    elif inp.outcome == "compliant" and inp.findings:
        add("outcome", "compliant_with_findings")

    _validate_origin(inp, ctx, add)
    return problems


def _validate_site(inp: InspectionInput, ctx: Context, add) -> None:
    if inp.site_id:
        if not ctx.site_exists(inp.site_id):
            add("site", "site_unknown")
        return
    site = inp.new_site
    if site is None:
        add("site", "site_required")
        return
    check_site(site, add)


def site_problems(site: SiteInput) -> list[Problem]:
    """What is wrong with a site's record (created from the form, or edited in the registry)."""
    problems: list[Problem] = []
    check_site(site, lambda f, code, *params: problems.append(Problem(f, code, params)))
    return problems


def check_site(site: SiteInput, add) -> None:
    if not site.name.strip():
        add("site_name", "required")
    if not site.address.strip():
        add("site_address", "required")
    if site.kind not in SITE_KINDS:
        add("site_kind", "site_kind_invalid")
    if site.owner_id_kind not in OWNER_ID_KINDS:
        add("site_owner", "owner_id_kind_invalid")
    elif site.owner_id_kind != "none" and not site.owner_id_number.strip():
        add("site_owner", "owner_id_number_required")
    if site.authorisation_expires:
        try:
            datetime.strptime(site.authorisation_expires, "%Y-%m-%d")
        except ValueError:
            add("site_authorisation", "date_invalid")


def _validate_origin(inp: InspectionInput, ctx: Context, add) -> None:
    if not inp.origin_type:
        add("origin", "origin_required")
    elif inp.origin_type not in ORIGINS:
        add("origin", "origin_invalid", inp.origin_type)
    elif inp.origin_type == "own_initiative":
        if len(inp.origin_reason.strip()) < MIN_REASON_CHARS:
            add("origin_reason", "reason_too_short", MIN_REASON_CHARS)
    elif inp.origin_type == "follow_up":
        if not inp.origin_ref.strip():
            add("origin_ref", "followup_required")
        elif not ctx.inspection_exists(inp.origin_ref.strip()):
            add("origin_ref", "followup_unknown", inp.origin_ref.strip())
    elif not inp.origin_ref.strip():
        add("origin_ref", "origin_ref_required")


class ValidationFailed(Refusal):
    """Raised by the store when asked to save an inspection that breaks the rules."""

    prefix = "v."

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].code if problems else "invalid")
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.code}" for p in self.problems)
