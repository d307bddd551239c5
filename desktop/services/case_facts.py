"""The facts of a case that its documents cite and that signing needs (legal review A1, A4, A6):
the notice's delivery, the re-inspection, the permit withdrawn, the technical expertise.

Each comes from a recorded event: the notice is delivered through the register (proof of
notification, art. 97), the re-inspection is the ladder's step, the permit and the expertise are
recorded on the case (``store.cases.record_case_fact``). The GUI's facts panel and the CLI use
these functions; the document the case's current step calls for says which facts it needs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from desktop.domain.auth import can
from desktop.domain.errors import Refusal
from desktop.services.commune import Commune
from desktop.services.paperwork import kind_for_current_step
from desktop.store import cases
from desktop.store.decisions import record_delivery
from reports.documents import load_templates

# The placeholders a document prints from a case's events, grouped by the fact that fills them.
FACT_PLACEHOLDERS = {"notice": ("notice_ref", "notice_date"), "reinspection": ("reinspection_date",),
                     **{key: (key,) for key in cases.CASE_FACTS}}


@dataclass
class CaseFacts:
    needed: list[str]                       # facts (FACT_PLACEHOLDERS keys) the current document prints
    notice_id: str | None = None            # the case's last signed notice
    notice_ref: str | None = None
    notice_delivered_on: str | None = None
    reinspection_on: str | None = None      # the last re-inspection done
    recorded: dict[str, str] = field(default_factory=dict)  # permit_ref, expertise_date…

    def missing(self) -> list[str]:
        """The needed facts no event recorded yet."""
        have = {"notice": self.notice_delivered_on, "reinspection": self.reinspection_on, **self.recorded}
        return [f for f in self.needed if not have.get(f)]


def needed_facts(kind: str | None) -> list[str]:
    """The facts a document of ``kind`` prints (from its template, in both languages)."""
    if not kind:
        return []
    text = json.dumps(load_templates()["documents"].get(kind, {}), ensure_ascii=False)
    return [fact for fact, names in FACT_PLACEHOLDERS.items() if any("{" + n + "}" in text for n in names)]


def case_facts(commune: Commune, case_id: str) -> CaseFacts:
    store = commune.store
    try:
        kind = kind_for_current_step(commune, case_id)
    except Refusal:  # a code the catalogue no longer knows: no document, no facts to ask for
        kind = None
    facts = CaseFacts(needed_facts(kind))
    notice = store.query("SELECT id, year, number, delivered_on FROM decision WHERE case_id = ? AND kind = 'formal_notice'"
                         " AND status = 'signed' ORDER BY signed_on DESC, number DESC LIMIT 1", (case_id,))
    if notice:
        facts.notice_id, facts.notice_ref = notice[0]["id"], f"{notice[0]['number']}/{notice[0]['year']}"
        facts.notice_delivered_on = notice[0]["delivered_on"]
    steps = cases.case_steps(store, case_id)
    done = [s.done_on for s in steps if s.step == "reinspection" and s.done_on]
    facts.reinspection_on = done[-1] if done else None
    for s in steps:
        facts.recorded.update({k: str(s.data[k]) for k in cases.CASE_FACTS if s.data.get(k)})
    return facts


def record_case_fact(commune: Commune, case_id: str, key: str, value: str) -> None:
    """Record a permit or expertise fact on the case (refused: unknown key, empty, bad date)."""
    cases.record_case_fact(commune.store, commune.actor, case_id, key, value)


def record_notice_delivery(commune: Commune, case_id: str, on: date, method: str, receiver: str) -> str:
    """Record the delivery of the case's last signed notice (the day its deadline starts);
    returns the notice's id. Refused when no notice was signed, or when it is already delivered."""
    facts = case_facts(commune, case_id)
    if facts.notice_id is None:
        raise Refusal("no_signed_notice")
    if facts.notice_delivered_on:
        raise Refusal("notice_already_delivered", ref=facts.notice_ref, on=facts.notice_delivered_on)
    if on > date.today():
        raise Refusal("delivery_in_future", on=on.isoformat())
    record_delivery(commune.store, commune.actor, facts.notice_id, on, method, receiver)
    step = cases.current_step(commune.store, case_id)
    if step is not None and step.step == "formal_notice" and can(commune.actor.role, "case.manage"):
        # the ladder moves on: the re-inspection falls due once the deadline has run from delivery
        cases.advance(commune.store, commune.actor, case_id, "reinspection", facts.notice_ref or "", on=on,
                      catalogue=commune.catalogue)
    return facts.notice_id
