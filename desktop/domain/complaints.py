"""Complaints: who may bring them, how they are triaged, when they must be answered, and the
Open311 GeoReport v2 shape used to exchange them with a portal."""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from desktop.domain.text import has_hidden_characters  # noqa: F401 - re-exported
from desktop.domain.errors import Refusal

CHANNELS = ("desk", "phone", "letter", "chikaya", "district_president", "open311")
COMPLAINANTS = ("citizen", "district_president", "anonymous")
TRIAGE = {  # status → the statuses it may move to
    "received": ("accepted", "merged", "forwarded", "rejected"),
    "accepted": ("answered",),
    "forwarded": ("answered",),
    "rejected": ("answered",),
    "merged": (),
    "answered": (),
}
ANSWER_DAYS = 60  # the Chikaya portal's clock; applied to every channel
MIN_DESCRIPTION = 10
# Channels whose reference is given by a portal (the Chikaya portal's number, an Open311 service
# request id): kept as given. Every other complaint is numbered by the application.
PORTAL_CHANNELS = ("chikaya", "open311")


class ComplaintError(Refusal):
    """A complaint rule refused; ``params['problems']`` may list (form field, code, reference)."""

    prefix = "c."


@dataclass
class ComplaintInput:
    channel: str
    received_on: date
    description: str
    complainant_kind: str = "citizen"
    reference: str = ""
    field_code: str = ""
    district_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    location_text: str = ""
    complainant_name: str = ""
    complainant_contact: str = ""


# -- references ---------------------------------------------------------------------------------
# A standalone installation numbers PL-YYYY-NNNNN. An enrolled device numbers in its own series,
# PL-YYYY-CCCC-NNNNN, CCCC its code (``device_code``): a tablet offline all day gives the citizen
# a reference at once, and no other device can give the same one (the hub never enrols two
# devices with one code, and refuses a reference outside the sending device's series).
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: read aloud without mistakes
_DEVICE_SERIES = re.compile(r"PL-\d{4}-([0-9A-Z]{4})-\d{5,}")


def device_code(device_id: str) -> str:
    """Four characters of the device's id (its last 20 bits: random bits of a UUIDv7) in
    Crockford's base 32, e.g. ``"7KQ3"``."""
    try:
        bits = int(device_id.replace("-", "")[-5:], 16)
    except ValueError:  # not a UUID (a device id made by hand): its digest
        bits = int(hashlib.sha256(device_id.encode()).hexdigest()[-5:], 16)
    return "".join(_CROCKFORD[(bits >> shift) & 31] for shift in (15, 10, 5, 0))


def reference_prefix(year: int, code: str | None) -> str:
    """Where a complaint's number goes: ``PL-2026-7KQ3-`` on an enrolled device, ``PL-2026-``
    standalone (``code`` None)."""
    return f"PL-{year}-{code}-" if code else f"PL-{year}-"


_STANDALONE = re.compile(r"PL-\d{4}-\d{5,}")


def reference_problem(reference: str, channel: str, code: str, *, at_hub: bool = False) -> str | None:
    """Why a device of code ``code`` may not record a complaint under ``reference`` (None: it
    may): a reference of its own series, or a portal's reference (not in the commune's ``PL-``
    numbering, where it would take another device's number) on a portal's channel. At the hub
    also a standalone number (PL-YYYY-NNNNN), which no enrolled device makes any more: a
    complaint numbered so before the device was updated still reaches the record (the hub's
    uniqueness check still applies to it)."""
    own = _DEVICE_SERIES.fullmatch(reference)
    if own is not None and own.group(1) == code:
        return None
    if at_hub and _STANDALONE.fullmatch(reference):
        return None
    if channel in PORTAL_CHANNELS and reference.strip() and not reference.strip().upper().startswith("PL-"):
        return None
    return "complaint_reference_series"


def answer_due(received_on: date) -> date:
    return received_on + timedelta(days=ANSWER_DAYS)


# The 60-day clock stops once the commune has answered, merged the complaint into another (that
# one's clock runs) or rejected it with its reasons (the rejection is its decision; the letter that
# tells the complainant follows). The list, the "overdue" filter and the store share this rule.
CLOCK_STOPPED = ("merged", "rejected")
CLOCK_RUNNING_SQL = "answered_on IS NULL AND status NOT IN ('merged', 'rejected')"


def clock_running(status: str, answered_on: str | None) -> bool:
    return not answered_on and status not in CLOCK_STOPPED


MAX_TEXT = 20_000  # characters of a complaint's description (a letter, not a file)
def validate(inp: ComplaintInput, field_exists, bounds, today: date | None = None) -> list[tuple[str, str]]:
    """(form field, message code) problems; empty when the complaint can be recorded."""
    problems = []
    if inp.channel not in CHANNELS:
        problems.append(("channel", "complaint_channel_invalid"))
    if inp.complainant_kind not in COMPLAINANTS:
        problems.append(("complainant", "complaint_complainant_invalid"))
    if len(inp.description.strip()) < MIN_DESCRIPTION:
        problems.append(("description", "complaint_description_short"))
    if len(inp.description) > MAX_TEXT:
        problems.append(("description", "complaint_text_too_long"))
    for name in ("description", "reference", "location_text", "complainant_name", "complainant_contact"):
        if has_hidden_characters(getattr(inp, name)):
            problems.append((name, "text_hidden_characters"))
    if inp.received_on > (today or date.today()):
        problems.append(("received_on", "date_in_future"))
    if inp.channel == "chikaya" and not inp.reference.strip():
        problems.append(("reference", "complaint_chikaya_reference"))
    if inp.field_code and not field_exists(inp.field_code):
        problems.append(("field_code", "unknown_field"))
    if inp.complainant_kind == "anonymous" and (inp.complainant_name or inp.complainant_contact):
        problems.append(("complainant", "complaint_anonymous_with_name"))
    if (inp.lon is None) != (inp.lat is None):
        problems.append(("location", "location_required"))
    elif inp.lon is not None and inp.lat is not None:
        if not (math.isfinite(inp.lon) and math.isfinite(inp.lat)) or not (-180 <= inp.lon <= 180 and -90 <= inp.lat <= 90):
            problems.append(("location", "coordinates_invalid"))
        elif bounds is not None:
            x0, y0, x1, y1 = bounds
            if not (x0 - 0.05 <= inp.lon <= x1 + 0.05 and y0 - 0.05 <= inp.lat <= y1 + 0.05):
                problems.append(("location", "coordinates_outside_commune"))
    return problems


def check_triage(current: str, following: str) -> None:
    if following not in TRIAGE.get(current, ()):
        raise ComplaintError("complaint_triage_invalid", current=current, following=following)


# -- Open311 GeoReport v2 ----------------------------------------------------------------------

def from_open311(request: dict, today: date | None = None) -> ComplaintInput:
    """One GeoReport v2 service request → a complaint (the requester's contact stays out: the
    specification's public fields carry none)."""
    try:
        reference = str(request["service_request_id"]).strip()
        requested = request.get("requested_datetime") or ""
        if not isinstance(requested, str):
            raise TypeError(f"requested_datetime must be text, not {type(requested).__name__}")
        received = datetime.fromisoformat(requested.replace("Z", "+00:00")).date() if requested else (today or date.today())
        lat, lon = request.get("lat"), request.get("long")
        return ComplaintInput(
            channel="open311", received_on=received, reference=reference,
            description=str(request.get("description") or request.get("service_name") or "").strip(),
            complainant_kind="citizen", field_code=str(request.get("service_code") or "").strip(),
            lon=float(lon) if lon not in (None, "") else None, lat=float(lat) if lat not in (None, "") else None,
            location_text=str(request.get("address") or "").strip())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ComplaintError("open311_malformed", detail=str(exc)) from exc


def to_open311(row: dict, field_label: str = "") -> dict:
    """A complaint as a GeoReport v2 service request: public fields only. No complainant, and no
    free text that can hold names or contacts (the description, the answer letter, the place as
    written, a rejection's reasons): the state in fixed words, the place rounded to about 100 m."""
    closed = row["status"] in ("answered", "rejected", "merged")
    notes = {"forwarded": f"Transmise à : {row['forwarded_to']}", "rejected": "Rejetée (hors compétence ou non fondée)",
             "merged": "Fusionnée avec une plainte identique", "answered": "Réponse envoyée au plaignant"
             }.get(row["status"], "")
    return {
        "service_request_id": row["reference"], "status": "closed" if closed else "open", "status_notes": notes,
        "service_name": field_label or row["field_code"], "service_code": row["field_code"],
        "description": "", "agency_responsible": "Police administrative communale",
        "requested_datetime": f"{row['received_on']}T00:00:00Z",
        "updated_datetime": (row["updated_at"] or "").replace(" ", "T"),
        "expected_datetime": f"{row['answer_due']}T00:00:00Z", "address": "",
        "lat": _coarse(row["lat"]), "long": _coarse(row["lon"]), "media_url": None}


def _coarse(value):
    return None if value is None else round(float(value), 3)
