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


# The decisions the law takes only after a formal notice that went unheeded (Law 57-19 art. 24
# for a withdrawal; Decree 2-10-473 arts 17-18 for a closure; OL 113-14 art. 107 for a removal at
# the offender's cost): the notice must have been signed and delivered, and its deadline, which
# runs from delivery, must have passed.
NOTICE_CONDITIONED = ("closure", "withdrawal", "removal")


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


def check_notice_served(following: str, kind: str | None, went_through_notice: bool,
                        delivered_on: date | None, notice_days: int, on: date) -> date | None:
    """The rule of a served notice, for the step ``following`` opened on ``on``: the re-inspection
    after a notice, and a decision the law conditions on a notice (``kind`` in NOTICE_CONDITIONED,
    or any decision reached through a notice), need the notice signed and delivered
    (``delivered_on``); a decision needs its deadline (``notice_days`` from delivery) to have
    passed. Returns the day the notice's deadline ends (None when no notice is needed)."""
    needs = (following == "reinspection" and went_through_notice) or (
        following == "decision" and (went_through_notice or kind in NOTICE_CONDITIONED))
    if not needs:
        return None
    if delivered_on is None:
        raise LadderError("notice_not_delivered", following=following)
    ends = delivered_on + timedelta(days=notice_days)
    if following == "decision" and on < ends:
        raise LadderError("notice_deadline_running", ends=ends.isoformat())
    return ends


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
SERIES = ("arrete", "notice", "letter")
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
