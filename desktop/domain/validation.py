"""Rules an inspection must satisfy before it is submitted.

Each problem names the form field it belongs to, so the form shows it next to that field, and a
message code that ``desktop.i18n`` turns into Arabic or French.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from desktop.domain.catalogue import Catalogue, Field
from desktop.domain.errors import Refusal
from desktop.domain.ids import parse_utc_text
from desktop.domain.text import has_hidden_characters
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

    fld = check_field(inp.field_code, catalogue, add)
    _validate_site(inp, ctx, add)
    check_visit(inp, ctx, add)
    if fld is not None:
        check_checklist(inp.checklist, fld, add)
        for n, f in enumerate(inp.findings):
            check_finding(f"finding:{n}", f.violation_code, f.measure_value, fld, catalogue, add)
    check_outcome(inp.outcome, len(inp.findings), add)
    check_origin(inp.origin_type, inp.origin_ref, inp.origin_reason, ctx, add)
    return problems


# The checks below are the pieces of ``validate_inspection``; the hub runs them on the rows a
# device sends (``desktop.hub.validate``), so that a rule is written once. Each reports through
# ``add(form field, message code, *params)``.

def check_field(field_code: str, catalogue: Catalogue, add) -> Field | None:
    """The police field of the catalogue (None, and a problem, when absent or unknown)."""
    if not field_code:
        add("field_code", "required")
    elif not catalogue.has_field(field_code):
        add("field_code", "unknown_field", field_code)
    else:
        return catalogue.field(field_code)
    return None


def check_visit(inp: InspectionInput, ctx: Context, add) -> None:
    """When, by whom and where: the date, the officers, the location and its district."""
    if not inp.inspected_at:
        add("inspected_at", "required")
    else:
        try:
            when = parse_utc_text(inp.inspected_at)
        except (TypeError, ValueError):
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


def check_checklist(checklist: dict, fld: Field, add) -> None:
    items = {i.code for i in fld.checklist}
    for code, answer in checklist.items():
        if code not in items:
            add("checklist", "unknown_checklist_item", code)
        elif answer not in ANSWERS:
            add("checklist", "answer_invalid", code)


def check_finding(where: str, violation_code: str, measure_value, fld: Field, catalogue: Catalogue, add) -> None:
    """A finding: a violation of its inspection's field, with its measure when the catalogue asks."""
    if not catalogue.has_violation(violation_code, fld.code):
        add(where, "unknown_violation", violation_code, fld.code)
        return
    v = catalogue.violation(violation_code)
    if measure_value is not None and (isinstance(measure_value, bool) or not isinstance(measure_value, (int, float))
                                      or not math.isfinite(measure_value) or measure_value < 0):
        add(where, "measure_invalid", violation_code)
    elif v.measure and v.measure.required and measure_value is None:
        add(where, "measure_required", violation_code, v.measure.unit)


def check_outcome(outcome: str, findings: int, add) -> None:
    """The outcome, consistent with the number of findings recorded."""
    if not outcome:
        add("outcome", "required")
    elif outcome not in OUTCOMES:
        add("outcome", "outcome_invalid", outcome)
    elif outcome == "violations" and not findings:
        add("outcome", "outcome_needs_findings")
    elif outcome == "compliant" and findings:
        add("outcome", "compliant_with_findings")


def inspection_input(row: dict) -> InspectionInput:
    """An inspection row as ``submit_inspection`` writes it, back as the form's input (without its
    findings, which are rows of their own). A checklist that is not a JSON object comes back
    empty; ``inspection_row_problems`` names it."""
    return _input(row, _checklist(row.get("checklist")))


def _input(row: dict, checklist: dict | None) -> InspectionInput:
    """``inspection_input`` with the row's checklist already read (``_checklist``)."""
    return InspectionInput(
        field_code=row.get("field_code") or "", site_id=row.get("site_id"), inspected_at=row.get("inspected_at") or "",
        officer_ids=[o for o in (row.get("lead_officer_id"), row.get("second_officer_id")) if o],
        lon=row.get("lon"), lat=row.get("lat"), district_id=row.get("district_id"),
        checklist=checklist if checklist is not None else {}, notes=row.get("notes") or "",
        outcome=row.get("outcome") or "", origin_type=row.get("origin_type") or "",
        origin_ref=row.get("origin_ref") or "", origin_reason=row.get("origin_reason") or "")


def _checklist(text) -> dict | None:
    try:
        value = json.loads(text if text is not None else "{}")
    except (TypeError, ValueError):
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return None
    return value


def inspection_row_problems(row: dict, catalogue: Catalogue, ctx: Context) -> list[Problem]:
    """A stored inspection row checked with the form's rules (``validate_inspection``) that a row
    can answer: its findings are rows of their own (``check_finding``), its ``finding_count``
    stands for them; a site must exist (a tombstone after the fact does not undo a visit)."""
    problems: list[Problem] = []
    add = lambda f, code, *params: problems.append(Problem(f, code, params))  # noqa: E731
    checklist = _checklist(row.get("checklist"))  # (read once: the hub checks every inspection a device sends)
    inp = _input(row, checklist)
    fld = check_field(inp.field_code, catalogue, add)
    if not inp.site_id:
        add("site", "site_required")
    elif not ctx.site_exists(inp.site_id):
        add("site", "site_unknown")
    for name in ("lon", "lat"):
        if row.get(name) is not None and (isinstance(row[name], bool) or not isinstance(row[name], (int, float))):
            add("location", "coordinates_invalid")
            return problems
    check_visit(inp, ctx, add)
    if checklist is None:
        add("checklist", "checklist_invalid")
    elif fld is not None:
        check_checklist(inp.checklist, fld, add)
    count = row.get("finding_count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        add("outcome", "finding_count_invalid")
    else:
        check_outcome(inp.outcome, count, add)
    check_origin(inp.origin_type, inp.origin_ref, inp.origin_reason, ctx, add)
    expected = inp.origin_ref.strip() if inp.origin_type == "follow_up" else None
    if (row.get("followup_of") or None) != (expected or None):
        add("origin_ref", "followup_unknown", row.get("followup_of") or "")
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


# The longest text each field of a site's record takes (a name, not a file: review L2).
SITE_MAX_CHARS = {"name": 300, "address": 300, "activity": 300, "owner_name": 200, "owner_id_number": 40,
                  "authorisation_ref": 100}


def site_text_refusal(texts: dict[str, str]) -> tuple[str, dict] | None:
    """(message code, its parameters) for a site's text the registry does not record: a hidden
    character (NUL, bidi overrides: they would reach the decisions' PDFs) or too long a text."""
    for name, text in texts.items():
        if has_hidden_characters(text):
            return "text_hidden_characters", {}
        if name in SITE_MAX_CHARS and len(text) > SITE_MAX_CHARS[name]:
            return "text_too_long", {"field": name, "max": SITE_MAX_CHARS[name]}
    return None


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


def check_origin(origin_type: str, origin_ref: str, origin_reason: str, ctx: Context, add) -> None:
    """Why the inspection happened, and the reference or reason that goes with it."""
    if not origin_type:
        add("origin", "origin_required")
    elif origin_type not in ORIGINS:
        add("origin", "origin_invalid", origin_type)
    elif origin_type == "own_initiative":
        if len(origin_reason.strip()) < MIN_REASON_CHARS:
            add("origin_reason", "reason_too_short", MIN_REASON_CHARS)
    elif origin_type == "follow_up":
        if not origin_ref.strip():
            add("origin_ref", "followup_required")
        elif not ctx.inspection_exists(origin_ref.strip()):
            add("origin_ref", "followup_unknown", origin_ref.strip())
    elif not origin_ref.strip():
        add("origin_ref", "origin_ref_required")


class ValidationFailed(Refusal):
    """Raised by the store when asked to save an inspection that breaks the rules."""

    prefix = "v."

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].code if problems else "invalid")
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.code}" for p in self.problems)
