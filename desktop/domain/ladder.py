"""The enforcement ladder (DESIGN.md): which step follows which, when each is due, which
document a step produces, and the governor's oversight deadlines (Law 113-14 art. 116).

observed → (awareness) → formal notice with deadline → re-inspection → decision or referral →
notification → execution → closed. Every step has a due date and an owner: nothing waits
without a date.
"""
from __future__ import annotations

from datetime import date, timedelta

from desktop.domain.catalogue import DEFAULT_DECISION_KIND, Violation
from desktop.domain.errors import Refusal

STEPS = ("awareness", "formal_notice", "reinspection", "referral", "decision", "notification",
         "execution", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "awareness": ("reinspection",),
    "formal_notice": ("reinspection",),
    "reinspection": ("closed", "formal_notice", "decision", "referral"),
    "referral": ("execution", "closed"),       # after the controller's (or police's) follow-up
    "decision": ("notification",),
    "notification": ("execution", "closed"),
    "execution": ("closed",),
}
# Days allowed for a step when the violation sets no deadline of its own.
STEP_DAYS = {"awareness": 15, "formal_notice": 30, "reinspection": 5, "referral": 3, "decision": 7,
             "notification": 5, "execution": 30}
# Steps done by the officers in the field; the rest is the coordinator's paperwork.
FIELD_STEPS = ("awareness", "reinspection")
SEVERITY_RANK = {"minor": 0, "major": 1, "critical": 2}
NOTICE_MAX_DAYS_PUBLIC_DOMAIN = 30   # Law 57-19 art. 24: a formal notice of at most one month
REFERRAL_AUTHORITIES = ("urbanism_controller", "local_authority", "national_police", "gendarmerie", "hygiene_office", "onssa")
# The decisions a case may end in (each violation names its own in the catalogue), first the one
# that prevails when a case's violations name several. A building threatening ruin is repaired or
# demolished whatever else is wrong with it; removing an installation makes withdrawing its permit
# moot; the measures of the public-domain regime (removal, withdrawal, stop and pay the fee) come
# before closure (only where a text allows it: Decree 2-10-473 arts 17-18, places open to the public);
# the injunction of OL 113-14 arts 100 and 107 is the general individual police measure and the
# default (DEFAULT_DECISION_KIND): no business is closed, no dwelling shut, by default.
DECISION_PRECEDENCE = ("ruin_order", "removal", "withdrawal", "stop_and_fee", "closure", "injunction")


class LadderError(Refusal):
    prefix = "ladder."


def first_step(violations: list[Violation]) -> tuple[str, int, str | None]:
    """(step, days, referral authority) for a case opened on these violations: the most severe
    violation leads; the shortest deadline wins."""
    if not violations:
        raise LadderError("no_violation")
    lead = max(violations, key=lambda v: (SEVERITY_RANK[v.severity], -v.deadline_days))
    step = lead.next_step
    days = min(v.deadline_days for v in violations if v.next_step == step) or STEP_DAYS[step]
    if step == "formal_notice" and lead.field == "public_domain":
        days = min(days, NOTICE_MAX_DAYS_PUBLIC_DOMAIN)
    return step, days, lead.referral_to if step == "referral" else None


def check_transition(current: str, following: str) -> None:
    if following not in TRANSITIONS.get(current, ()):
        raise LadderError("bad_transition", current=current, following=following,
                          allowed=TRANSITIONS.get(current, ()))


def decision_kind(violations: list[Violation]) -> str:
    """Which decision a case ends in when the notice was not complied with: among the kinds its
    violations name in the catalogue, the first in DECISION_PRECEDENCE (the default kind for a
    case without violations)."""
    kinds = {v.decision_kind for v in violations}
    unknown = kinds.difference(DECISION_PRECEDENCE)
    if unknown:
        raise LadderError("unknown_decision_kind", kind=sorted(unknown)[0])
    return min(kinds, key=DECISION_PRECEDENCE.index, default=DEFAULT_DECISION_KIND)


def document_for(step: str, violations: list[Violation]) -> str | None:
    """The document a step produces (None: a field step, no paper)."""
    return {"formal_notice": "formal_notice", "referral": "referral_letter",
            "decision": decision_kind(violations), "execution": "public_force_request"}.get(step)


def due_on(start: date, days: int) -> date:
    return start + timedelta(days=days)


def working_days_after(start: date, days: int) -> date:
    """``days`` working days (Monday to Friday) after ``start``. Public holidays are not known
    here; the deadline errs early rather than late."""
    d, left = start, days
    while left:
        d += timedelta(days=1)
        if d.weekday() < 5:
            left -= 1
    return d


# The three series of the register (legal review D, B5): arrêtés (decisions), notices (formal
# notices, the art. 27 notice) and letters (referrals, requests for public force), counted apart.
LETTER_KINDS = ("referral_letter", "public_force_request")
NOTICE_KINDS = ("formal_notice", "stop_and_fee")


def document_series(kind: str) -> str:
    """"letter", "notice" or "arrete" (every other kind is a decision of the president)."""
    return "letter" if kind in LETTER_KINDS else "notice" if kind in NOTICE_KINDS else "arrete"


def oversight_class(kind: str, field_code: str) -> str:
    """Art. 116: regulatory decisions, individual urban-planning decisions, other individual ones;
    a letter (a referral, a request for public force) is no decision and has no art. 116 deadline."""
    if kind in LETTER_KINDS:
        return "letter"
    if kind == "regulatory":
        return "regulatory"
    return "individual_urbanism" if field_code == "urbanism" else "individual_other"


def governor_deadline(klass: str, signed_on: date | None, delivered_on: date | None) -> date | None:
    """When the decision must reach the governor: regulatory decisions within 15 working days
    (of their signature), individual urban-planning decisions within 5 days of their delivery
    to the person concerned; other individual police decisions have no set deadline."""
    if klass == "regulatory" and signed_on:
        return working_days_after(signed_on, 15)
    if klass == "individual_urbanism" and delivered_on:
        return delivered_on + timedelta(days=5)
    return None
