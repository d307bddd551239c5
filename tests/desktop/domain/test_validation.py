import dataclasses
from datetime import datetime, timezone

import pytest

from desktop.domain.model import FindingInput, InspectionInput, SiteInput
from desktop.domain.validation import Context, validate_inspection

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=timezone.utc)
CTX = Context(officer_ids={"o1", "o2"}, district_ids={"d1"}, site_exists=lambda s: s == "s1",
              inspection_exists=lambda i: i == "i0", bounds=(-7.75, 33.45, -7.45, 33.65), now=NOW)


def good(**changes) -> InspectionInput:
    base = InspectionInput(field_code="public_domain", site_id="s1", inspected_at="2026-06-01T10:00:00Z",
                           officer_ids=["o1", "o2"], lon=-7.6, lat=33.57, district_id="d1",
                           checklist={"DOM-C01": "no"}, findings=[FindingInput("DOM-01", 10)],
                           outcome="violations", origin_type="programme", origin_ref="PRG-1")
    return dataclasses.replace(base, **changes)


def codes(inp, catalogue):
    return {(p.field, p.code) for p in validate_inspection(inp, catalogue, CTX)}


def test_a_good_inspection_passes(catalogue):
    assert codes(good(), catalogue) == set()


@pytest.mark.parametrize("changes,expected", [
    ({"field_code": ""}, ("field_code", "required")),
    ({"field_code": "astrology"}, ("field_code", "unknown_field")),
    ({"site_id": None}, ("site", "site_required")),
    ({"site_id": "s9"}, ("site", "site_unknown")),
    ({"inspected_at": "yesterday"}, ("inspected_at", "date_invalid")),
    ({"inspected_at": "2026-07-02T10:00:00Z"}, ("inspected_at", "date_in_future")),
    ({"officer_ids": []}, ("officers", "officer_required")),
    ({"officer_ids": ["o1", "o1"]}, ("officers", "officers_same")),
    ({"officer_ids": ["o1", "x"]}, ("officers", "officer_unknown")),
    ({"lon": None}, ("location", "location_required")),
    ({"lat": 95.0}, ("location", "coordinates_invalid")),
    ({"lon": float("nan")}, ("location", "coordinates_invalid")),
    ({"lon": -5.0, "lat": 34.0}, ("location", "coordinates_outside_commune")),
    ({"district_id": None}, ("district", "required")),
    ({"checklist": {"HYG-C01": "no"}}, ("checklist", "unknown_checklist_item")),
    ({"checklist": {"DOM-C01": "maybe"}}, ("checklist", "answer_invalid")),
    ({"findings": [FindingInput("HYG-01")]}, ("finding:0", "unknown_violation")),
    ({"findings": [FindingInput("DOM-01")]}, ("finding:0", "measure_required")),
    ({"findings": [FindingInput("DOM-01", -3)]}, ("finding:0", "measure_invalid")),
    ({"findings": []}, ("outcome", "outcome_needs_findings")),
    ({"outcome": "compliant"}, ("outcome", "compliant_with_findings")),
    ({"outcome": ""}, ("outcome", "required")),
    ({"origin_type": ""}, ("origin", "origin_required")),
    ({"origin_ref": " "}, ("origin_ref", "origin_ref_required")),
    ({"origin_type": "own_initiative", "origin_reason": "vu"}, ("origin_reason", "reason_too_short")),
    ({"origin_type": "follow_up", "origin_ref": "i9"}, ("origin_ref", "followup_unknown")),
])
def test_each_rule_names_its_field(catalogue, changes, expected):
    assert expected in codes(good(**changes), catalogue)


def test_own_initiative_with_reason_and_follow_up_pass(catalogue):
    assert codes(good(origin_type="own_initiative", origin_ref="",
                      origin_reason="Terrasse débordante vue en patrouille"), catalogue) == set()
    assert codes(good(origin_type="follow_up", origin_ref="i0"), catalogue) == set()


def test_new_site_needs_name_address_and_owner_id(catalogue):
    site = SiteInput(kind="establishment", name="", address="", owner_id_kind="cin")
    got = codes(good(site_id=None, new_site=site), catalogue)
    assert {("site_name", "required"), ("site_address", "required"),
            ("site_owner", "owner_id_number_required")} <= got


def test_input_round_trips_through_dict():
    inp = good(site_id=None, new_site=SiteInput(name="Café", address="1 rue"))
    assert InspectionInput.from_dict(inp.to_dict()) == inp
