"""The enforcement ladder's rules, without a database: first steps, transitions, due dates, the
decision a case ends in, and the governor's oversight deadlines."""
from datetime import date
from itertools import combinations, product

import pytest

from desktop.domain.catalogue import DEFAULT_DECISION_KIND, Basis, Violation
from desktop.domain.ladder import (DECISION_PRECEDENCE, NOTICE_MAX_DAYS_PUBLIC_DOMAIN, STEP_DAYS, STEPS,
                                   LadderError, check_transition, decision_kind, document_for, due_on,
                                   first_step, governor_deadline, oversight_class, working_days_after)


def violation(code="X-01", *, field="hygiene", severity="minor", deadline_days=8, next_step="formal_notice",
              referral_to=None, decision_kind=DEFAULT_DECISION_KIND) -> Violation:
    return Violation(code=code, field=field, ar="م", fr="v", basis=(Basis("L113-14"),), severity=severity,
                     deadline_days=deadline_days, next_step=next_step, referral_to=referral_to,
                     decision_kind=decision_kind)


# -- first step ----------------------------------------------------------------------------------

def test_a_case_needs_a_violation():
    with pytest.raises(LadderError):
        first_step([])


@pytest.mark.parametrize("next_step", ["awareness", "formal_notice", "referral", "decision"])
def test_first_step_is_the_violations_next_step_with_its_deadline(next_step):
    v = violation(next_step=next_step, deadline_days=12, referral_to="onssa" if next_step == "referral" else None)
    assert first_step([v]) == (next_step, 12, "onssa" if next_step == "referral" else None)


def test_the_most_severe_violation_leads():
    minor = violation("A", severity="minor", next_step="awareness", deadline_days=3)
    critical = violation("B", severity="critical", next_step="decision", deadline_days=9)
    major = violation("C", severity="major", next_step="formal_notice", deadline_days=1)
    assert first_step([minor, critical, major])[0] == "decision"
    assert first_step([major, minor])[0] == "formal_notice"


def test_among_equally_severe_violations_the_shortest_deadline_leads():
    slow = violation("A", severity="major", next_step="formal_notice", deadline_days=30)
    fast = violation("B", severity="major", next_step="referral", deadline_days=2, referral_to="hygiene_office")
    assert first_step([slow, fast]) == ("referral", 2, "hygiene_office")
    assert first_step([fast, slow]) == ("referral", 2, "hygiene_office")


def test_the_shortest_deadline_among_violations_on_the_same_step_wins():
    lead = violation("A", severity="critical", next_step="formal_notice", deadline_days=20)
    same_step = violation("B", severity="minor", next_step="formal_notice", deadline_days=4)
    other_step = violation("C", severity="minor", next_step="awareness", deadline_days=1)
    assert first_step([lead, same_step, other_step]) == ("formal_notice", 4, None)


def test_a_violation_without_deadline_takes_the_steps_default():
    assert first_step([violation(next_step="decision", deadline_days=0)]) == ("decision", STEP_DAYS["decision"], None)


def test_a_public_domain_notice_lasts_a_month_at_most():
    long_notice = violation(field="public_domain", next_step="formal_notice", deadline_days=90)
    assert first_step([long_notice])[1] == NOTICE_MAX_DAYS_PUBLIC_DOMAIN == 30
    # Other fields keep their own deadline, and other steps are not capped.
    assert first_step([violation(field="hygiene", next_step="formal_notice", deadline_days=90)])[1] == 90
    assert first_step([violation(field="public_domain", next_step="awareness", deadline_days=90)])[1] == 90


def test_the_referral_authority_comes_only_with_a_referral():
    notice = violation(next_step="formal_notice", referral_to="onssa")  # HYG-03: notice first
    assert first_step([notice]) == ("formal_notice", 8, None)


def test_shipped_violations_start_where_the_catalogue_says(catalogue):
    for f in catalogue.fields:
        for v in f.violations:
            step, days, authority = first_step([v])
            assert step == v.next_step and days > 0
            assert authority == (v.referral_to if step == "referral" else None)


# -- transitions ---------------------------------------------------------------------------------

# Written out independently of ladder.TRANSITIONS: the ladder of DESIGN.md.
ALLOWED = {
    ("awareness", "reinspection"),
    ("formal_notice", "reinspection"),
    ("reinspection", "closed"), ("reinspection", "formal_notice"), ("reinspection", "decision"),
    ("reinspection", "referral"),
    ("referral", "execution"), ("referral", "closed"),
    ("decision", "notification"),
    ("notification", "execution"), ("notification", "closed"),
    ("execution", "closed"),
}


@pytest.mark.parametrize("current,following", sorted(ALLOWED))
def test_allowed_transitions(current, following):
    check_transition(current, following)


@pytest.mark.parametrize("current,following", sorted(set(product(STEPS, STEPS)) - ALLOWED))
def test_every_other_transition_is_refused(current, following):
    with pytest.raises(LadderError) as refused:
        check_transition(current, following)
    assert refused.value.code == "bad_transition" and refused.value.params["following"] == following


def test_refusal_says_what_may_come_next():
    from desktop.i18n import Translator
    from desktop.services.messages import message_for
    with pytest.raises(LadderError) as refused:
        check_transition("decision", "closed")
    assert refused.value.params["allowed"] == ("notification",)
    text = message_for(refused.value, Translator("fr"))
    assert "Arrêté" in text and "Notification" in text and "{" not in text
    with pytest.raises(LadderError) as refused:
        check_transition("closed", "reinspection")
    assert refused.value.params["allowed"] == ()
    with pytest.raises(LadderError) as refused:
        check_transition("observed", "formal_notice")  # not a step at all
    assert refused.value.params["allowed"] == ()
    assert "{" not in message_for(refused.value, Translator("ar"))


def test_every_step_but_closed_leads_somewhere_and_closed_is_reachable():
    for step in STEPS[:-1]:
        assert any((step, following) in ALLOWED for following in STEPS), step
    reachable, frontier = set(), {"awareness", "formal_notice", "referral", "decision"}
    while frontier:
        step = frontier.pop()
        reachable.add(step)
        frontier |= {b for a, b in ALLOWED if a == step} - reachable
    assert reachable == set(STEPS)


# -- due dates -----------------------------------------------------------------------------------

def test_due_on_counts_calendar_days():
    assert due_on(date(2026, 12, 20), 15) == date(2027, 1, 4)
    assert due_on(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert due_on(date(2026, 6, 1), 0) == date(2026, 6, 1)


@pytest.mark.parametrize("start,days,expected", [
    (date(2026, 11, 20), 1, date(2026, 11, 23)),   # Friday + 1 → Monday
    (date(2026, 11, 20), 15, date(2026, 12, 11)),  # Friday + 15 → three weeks later
    (date(2026, 11, 21), 1, date(2026, 11, 23)),   # Saturday + 1 → Monday
    (date(2026, 11, 22), 5, date(2026, 11, 27)),   # Sunday + 5 → Friday
    (date(2026, 11, 23), 4, date(2026, 11, 27)),   # Monday + 4 → Friday
    (date(2026, 11, 23), 0, date(2026, 11, 23)),
])
def test_working_days_skip_weekends(start, days, expected):
    assert working_days_after(start, days) == expected


def test_step_defaults_give_every_open_step_a_date():
    assert set(STEP_DAYS) == set(STEPS) - {"closed"}
    assert all(days > 0 for days in STEP_DAYS.values())


# -- the decision a case ends in -----------------------------------------------------------------

# The lawful measure of each shipped violation (legal review 2026-11, A2-A6): closure only where a
# text allows it (food businesses: Decree 2-10-473 arts 17-18; places open to the public, shops and
# dangerous establishments under art. 100 and the hygiene regulation); unauthorised or excess
# occupation of the public domain: the art. 27 notice and indemnity; an expired permit: art. 25
# (return of the site at the occupant's cost), not a withdrawal; rubble, waste and obstruction:
# removal at the offender's cost (OL art. 107); the rest: the art. 100/107 injunction.
LAWFUL_DECISION_KIND = {
    "HYG-01": "closure", "HYG-02": "closure", "HYG-03": "closure", "HYG-04": "closure", "HYG-05": "closure",
    "HYG-06": "closure", "HYG-07": "closure", "HYG-08": "closure", "HYG-09": "closure",
    "URB-01": "injunction", "URB-02": "injunction", "URB-03": "injunction", "URB-04": "injunction",
    "URB-05": "injunction", "URB-06": "removal", "URB-07": "injunction", "URB-08": "injunction",
    "DOM-01": "stop_and_fee", "DOM-02": "stop_and_fee", "DOM-03": "withdrawal", "DOM-04": "removal",
    "DOM-05": "stop_and_fee", "DOM-06": "stop_and_fee", "DOM-07": "removal",
    "CLE-01": "removal", "RUIBUI-01": "ruin_order", "DANEST-01": "closure", "INFTRA-01": "removal",
    "REGSHO-01": "closure", "PUBPLA-01": "closure", "STROBS-01": "removal", "TRAPAR-01": "injunction",
    "FOOQUA-01": "injunction", "WAT-01": "injunction", "EPI-01": "injunction", "GAT-01": "injunction",
    "STRANI-01": "injunction", "STA-01": "injunction", "FIRFLO-01": "injunction", "ROASIG-01": "injunction",
    "STRADV-01": "removal", "QUA-01": "injunction", "FUNCEM-01": "injunction",
}
CLOSURE_FIELDS = {"hygiene", "public_places", "regulated_shops", "dangerous_establishments"}


def lawful_decision_kind(violations):
    """The oracle: the table above, the kind listed first in PRECEDENCE prevailing."""
    return min((LAWFUL_DECISION_KIND[v.code] for v in violations), key=PRECEDENCE.index)


def shipped_violations(catalogue):
    return [v for f in catalogue.fields for v in f.violations]


def test_every_shipped_violation_keeps_its_decision(catalogue):
    codes = {v.code for v in shipped_violations(catalogue)}
    assert codes == set(LAWFUL_DECISION_KIND), "a violation was added or removed: update LAWFUL_DECISION_KIND"
    for v in shipped_violations(catalogue):
        assert decision_kind([v]) == v.decision_kind == LAWFUL_DECISION_KIND[v.code], v.code
        assert v.decision_kind != "closure" or v.field in CLOSURE_FIELDS, v.code  # no closure without a text


def test_every_pair_of_shipped_violations_keeps_its_decision(catalogue):
    # Cases join violations of one field, but the rule must not depend on that.
    violations = shipped_violations(catalogue)
    for pair in combinations(violations, 2):
        assert decision_kind(list(pair)) == lawful_decision_kind(pair), [v.code for v in pair]
    dom = catalogue.field("public_domain").violations
    assert decision_kind(dom) == lawful_decision_kind(dom) == "removal"


# The documented precedence, most prevailing first.
PRECEDENCE = ("ruin_order", "removal", "withdrawal", "stop_and_fee", "closure", "injunction")


def test_precedence_is_the_documented_one():
    assert DECISION_PRECEDENCE == PRECEDENCE


@pytest.mark.parametrize("first,second", list(combinations(PRECEDENCE, 2)))
def test_the_kind_listed_first_prevails(first, second):
    a, b = violation("A", decision_kind=first), violation("B", decision_kind=second)
    assert decision_kind([a, b]) == decision_kind([b, a]) == first
    assert decision_kind([a, b, violation("C", decision_kind="closure"), a]) == first


def test_decision_kind_follows_the_catalogue_not_the_code_or_field():
    # A commune may decide that a building threatening ruin ends, here, in closure.
    assert decision_kind([violation("RUIBUI-01", field="ruin_buildings", decision_kind="closure")]) == "closure"
    assert decision_kind([violation("HYG-01", decision_kind="removal")]) == "removal"


def test_a_case_without_violations_defaults_to_the_injunction_not_a_closure():
    assert decision_kind([]) == DEFAULT_DECISION_KIND == DECISION_PRECEDENCE[-1] == "injunction"


def test_an_unknown_decision_kind_is_refused():
    with pytest.raises(LadderError) as refused:
        decision_kind([violation(decision_kind="banishment")])
    assert (refused.value.code, refused.value.params) == ("unknown_decision_kind", {"kind": "banishment"})


def test_the_schema_offers_exactly_the_kinds_of_the_precedence():
    import json
    from desktop.domain.catalogue import SCHEMA
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$defs"]["decision_kind"]["enum"] == list(DECISION_PRECEDENCE)


def test_every_kind_has_a_document_template():
    import json
    import resources
    templates = json.loads(resources.path("catalogue", "templates.json").read_text(encoding="utf-8"))
    assert set(DECISION_PRECEDENCE) <= set(templates["documents"])


@pytest.mark.parametrize("step,expected", [
    ("formal_notice", "formal_notice"), ("referral", "referral_letter"), ("decision", "withdrawal"),
    ("execution", "public_force_request"), ("awareness", None), ("reinspection", None),
    ("notification", None), ("closed", None),
])
def test_document_for_each_step(step, expected):
    assert document_for(step, [violation(decision_kind="withdrawal")]) == expected


# -- the governor's oversight (Law 113-14 art. 116) ------------------------------------------------

@pytest.mark.parametrize("kind,field_code,expected", [
    ("regulatory", "urbanism", "regulatory"),
    ("regulatory", "hygiene", "regulatory"),
    ("closure", "urbanism", "individual_urbanism"),
    ("ruin_order", "urbanism", "individual_urbanism"),
    ("closure", "hygiene", "individual_other"),
    ("removal", "public_domain", "individual_other"),
])
def test_oversight_class(kind, field_code, expected):
    assert oversight_class(kind, field_code) == expected


def test_regulatory_decisions_reach_the_governor_within_15_working_days_of_signature():
    signed = date(2026, 11, 20)  # a Friday
    assert governor_deadline("regulatory", signed, None) == date(2026, 12, 11)
    assert governor_deadline("regulatory", signed, date(2026, 11, 25)) == date(2026, 12, 11)  # delivery irrelevant
    assert governor_deadline("regulatory", None, date(2026, 11, 25)) is None  # not signed yet


def test_individual_urbanism_decisions_within_5_days_of_delivery():
    delivered = date(2026, 12, 29)
    assert governor_deadline("individual_urbanism", date(2026, 12, 1), delivered) == date(2027, 1, 3)
    assert governor_deadline("individual_urbanism", date(2026, 12, 1), None) is None  # not delivered yet


def test_other_individual_decisions_have_no_deadline():
    assert governor_deadline("individual_other", date(2026, 12, 1), date(2026, 12, 2)) is None
