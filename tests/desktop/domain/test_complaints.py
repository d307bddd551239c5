"""The complaint rules, without a database: the 60-day clock, triage, what is refused, Open311."""
from dataclasses import replace
from datetime import date
from itertools import product

import pytest

from desktop.domain.complaints import (ANSWER_DAYS, CHANNELS, ComplaintError, ComplaintInput, answer_due,
                                       check_triage, from_open311, to_open311, validate)

TODAY = date(2026, 6, 30)
BOUNDS = (-7.75, 33.45, -7.45, 33.65)  # Casablanca, roughly


def known_field(code: str) -> bool:
    return code in ("hygiene", "public_domain")


def complaint(**changes) -> ComplaintInput:
    base = ComplaintInput(channel="desk", received_on=date(2026, 6, 1),
                          description="Terrasse qui bloque le trottoir depuis un mois",
                          field_code="public_domain", lon=-7.6, lat=33.55, complainant_name="A. B.")
    return replace(base, **changes)


def problems(inp: ComplaintInput, bounds=BOUNDS) -> set[tuple[str, str]]:
    return set(validate(inp, known_field, bounds, today=TODAY))


# -- the 60-day clock ------------------------------------------------------------------------------

@pytest.mark.parametrize("received,due", [
    (date(2026, 6, 1), date(2026, 7, 31)),
    (date(2026, 11, 15), date(2027, 1, 14)),   # over the new year
    (date(2028, 1, 15), date(2028, 3, 15)),    # a leap February has 29 days
    (date(2027, 1, 15), date(2027, 3, 16)),
])
def test_answer_is_due_sixty_days_after_receipt(received, due):
    assert ANSWER_DAYS == 60
    assert answer_due(received) == due


# -- triage ------------------------------------------------------------------------------------------

STATUSES = ("received", "accepted", "merged", "forwarded", "rejected", "answered")
# Written out independently of complaints.TRIAGE.
ALLOWED = {("received", "accepted"), ("received", "merged"), ("received", "forwarded"), ("received", "rejected"),
           ("accepted", "answered"), ("forwarded", "answered"), ("rejected", "answered")}


@pytest.mark.parametrize("current,following", sorted(ALLOWED))
def test_allowed_triage(current, following):
    check_triage(current, following)


@pytest.mark.parametrize("current,following", sorted(set(product(STATUSES, STATUSES)) - ALLOWED))
def test_every_other_triage_is_refused_with_its_code(current, following):
    with pytest.raises(ComplaintError) as err:
        check_triage(current, following)
    assert err.value.code == "complaint_triage_invalid"
    assert err.value.params == {"current": current, "following": following}


def test_merged_and_answered_are_final():
    for final in ("merged", "answered"):
        for following in STATUSES:
            with pytest.raises(ComplaintError):
                check_triage(final, following)


# -- what is refused ---------------------------------------------------------------------------------

def test_a_complete_complaint_passes():
    assert problems(complaint()) == set()
    assert problems(complaint(lon=None, lat=None, field_code="")) == set()  # location and field are optional


@pytest.mark.parametrize("changes,expected", [
    ({"channel": "pigeon"}, ("channel", "complaint_channel_invalid")),
    ({"complainant_kind": "martian"}, ("complainant", "complaint_complainant_invalid")),
    ({"description": "  court   "}, ("description", "complaint_description_short")),
    ({"received_on": date(2026, 7, 1)}, ("received_on", "date_in_future")),
    ({"channel": "chikaya", "reference": "  "}, ("reference", "complaint_chikaya_reference")),
    ({"field_code": "astrology"}, ("field_code", "unknown_field")),
    ({"complainant_kind": "anonymous"}, ("complainant", "complaint_anonymous_with_name")),
    ({"complainant_kind": "anonymous", "complainant_name": "", "complainant_contact": "0600"},
     ("complainant", "complaint_anonymous_with_name")),
    ({"lat": None}, ("location", "location_required")),
    ({"lon": None}, ("location", "location_required")),
    ({"lon": float("nan")}, ("location", "coordinates_invalid")),
    ({"lat": 91.0}, ("location", "coordinates_invalid")),
    ({"lon": -5.0, "lat": 34.0}, ("location", "coordinates_outside_commune")),  # Fès
])
def test_each_rule_refuses_with_its_field_and_code(changes, expected):
    assert problems(complaint(**changes)) == {expected}


def test_limits_are_inclusive():
    assert problems(complaint(description="x" * 10)) == set()
    assert problems(complaint(received_on=TODAY)) == set()
    assert problems(complaint(lon=BOUNDS[0] - 0.05, lat=BOUNDS[3] + 0.05)) == set()  # the 5 km margin
    assert problems(complaint(channel="chikaya", reference="CH-1")) == set()
    assert problems(complaint(complainant_kind="anonymous", complainant_name="")) == set()


def test_without_commune_bounds_any_real_coordinate_is_accepted():
    assert problems(complaint(lon=-5.0, lat=34.0), bounds=None) == set()
    assert problems(complaint(lon=200.0, lat=34.0), bounds=None) == {("location", "coordinates_invalid")}


def test_every_problem_is_reported_at_once():
    found = problems(complaint(channel="pigeon", description="", received_on=date(2027, 1, 1), lat=None))
    assert {f for f, _ in found} == {"channel", "description", "received_on", "location"}


def test_every_channel_is_accepted():
    for channel in CHANNELS:
        assert problems(complaint(channel=channel, reference="REF-1")) == set(), channel


# -- Open311 GeoReport v2 ----------------------------------------------------------------------------

def test_open311_request_becomes_a_complaint():
    inp = from_open311({"service_request_id": 4711, "requested_datetime": "2026-05-03T22:30:00Z",
                        "description": " Dépôt d'ordures sauvage ", "service_code": "hygiene",
                        "lat": "33.55", "long": -7.6, "address": "Rue X"})
    assert (inp.channel, inp.reference, inp.received_on) == ("open311", "4711", date(2026, 5, 3))
    assert (inp.description, inp.field_code, inp.lon, inp.lat) == ("Dépôt d'ordures sauvage", "hygiene", -7.6, 33.55)
    assert inp.complainant_name == "" and inp.complainant_kind == "citizen"
    assert problems(inp) == set()


def test_open311_request_without_date_or_place():
    inp = from_open311({"service_request_id": "A1", "service_name": "Bruit nocturne du café"}, today=TODAY)
    assert inp.received_on == TODAY and inp.lon is None and inp.lat is None
    assert inp.description == "Bruit nocturne du café"


@pytest.mark.parametrize("request_", [{}, {"service_request_id": "A", "lat": "north", "long": "1"},
                                      {"service_request_id": "A", "requested_datetime": "yesterday"}])
def test_malformed_open311_request_is_refused(request_):
    with pytest.raises(ComplaintError) as err:
        from_open311(request_)
    assert err.value.code == "open311_malformed"


def test_complaint_to_open311_shows_no_complainant():
    row = {"reference": "CH-9", "status": "rejected", "forwarded_to": None, "reason": "Hors compétence",
           "answer_text": None, "field_code": "hygiene", "description": "Odeurs", "received_on": "2026-06-01",
           "updated_at": "2026-06-02 10:00:00", "answer_due": "2026-07-31", "location_text": "Rue X",
           "lat": 33.5, "lon": -7.6, "complainant_name": "Secret Person"}
    out = to_open311(row, "Hygiène")
    assert out["status"] == "closed" and out["status_notes"].startswith("Rejetée")  # fixed words, no free text
    assert out["service_name"] == "Hygiène" and out["updated_datetime"] == "2026-06-02T10:00:00"
    assert out["expected_datetime"] == "2026-07-31T00:00:00Z"
    assert "Secret Person" not in repr(out)
    assert to_open311({**row, "status": "accepted"})["status"] == "open"


def test_open311_export_leaves_out_free_text_that_can_hold_contacts():
    """Review security-2026-11, M2: the description, the answer letter and the place as written
    can name people; the point is rounded to about 100 m."""
    row = {"reference": "CH-9", "status": "answered", "forwarded_to": None, "reason": "",
           "answer_text": "Madame El Idrissi, suite à votre plainte (tél 0662-998877)…", "field_code": "hygiene",
           "description": "Le voisin Karim Bennani (CIN BE778899) …", "received_on": "2026-06-01",
           "updated_at": "2026-06-02 10:00:00", "answer_due": "2026-07-31", "location_text": "chez M. Bennani, 3 rue X",
           "lat": 33.512345, "lon": -7.612345, "complainant_name": "Fatima"}
    out = repr(to_open311(row))
    for secret in ("Idrissi", "0662", "Bennani", "BE778899", "Fatima", "33.512345"):
        assert secret not in out
    assert to_open311(row)["lat"] == 33.512
