"""The parts of the activity report the governor's services need (legal review, section E):
decisions by kind and field, their execution, money, litigation, delegations in force, staff and
brigades, the communal regulations, fairness, and the annex listing each document signed.

Only recorded facts are counted; where the schema records nothing (amounts of indemnities, orders
to pay, art. 265 memos, rulings, sworn agents designated, budget) the report says so ("not
recorded") rather than printing a figure.
"""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Callable

from desktop.domain.catalogue import Catalogue
from desktop.i18n import Translator
from desktop.store import fairness, oversight
from desktop.store.db import Store
from desktop.store.indicators import Indicators, Scope
from reports.annual import Section, Table
from reports.counting import count

Fmt = Callable[[object], str]


def _day(value: str | None) -> str:
    return date.fromisoformat(value[:10]).strftime("%d/%m/%Y") if value else "—"


def _ref(row: dict) -> str:
    return f"{row['number']}/{row['year']}"


def governor_sections(store: Store, catalogue: Catalogue, scope: Scope, ind: Indicators, tr: Translator,
                      n: Fmt, pct: Fmt) -> list[Section]:
    """The sections that follow the enforcement funnel in the report."""
    lang = tr.lang
    ar = lang == "ar"
    field = lambda code: catalogue.field(code).label(lang) if catalogue.has_field(code) else code  # noqa: E731
    missing = tr("gov.not_recorded")
    signed = oversight.signed_documents(store, scope)
    arretes = [r for r in signed if r["series"] == "arrete"]
    by_kind = Counter((r["kind"], r["field_code"]) for r in arretes)
    series = Counter(r["series"] for r in signed)
    sections = [Section(tr("gov.sec_decisions"), [tr("gov.decisions_intro", documents=" · ".join(
        count(series.get(s, 0), noun, lang, spelled=False)
        for s, noun in (("arrete", "decisions"), ("notice", "notices"), ("letter", "letters"))))], [
        Table(tr("gov.by_kind"), [tr("gov.kind"), tr("ui.field"), tr("rep.count")],
              [[tr("doc." + k), field(f), n(c)] for (k, f), c in sorted(by_kind.items(), key=lambda x: -x[1])]
              or [[tr("gov.none"), "", ""]], [2.5, 2.5, 1])])]

    ex = oversight.execution(store, scope)
    sections.append(Section(tr("gov.sec_execution"), [tr("gov.ex_officio", missing=missing)], [
        Table(tr("gov.execution"), [tr("rep.item"), tr("rep.count")], [
            [tr("gov.force_requests"), n(ex["force_requests"])],
            [tr("gov.force_executed"), n(ex["force_executed"])],
            [tr("gov.force_closed"), n(ex["force_closed"])],
            [tr("gov.local_referrals"), n(ex["local_referrals"])],
            [tr("gov.local_followed_up"), n(ex["local_followed_up"])],
            [tr("gov.undelivered"), n(ex["undelivered"])]], [4, 1])]))

    money = oversight.indemnities(store, scope)
    sections.append(Section(tr("gov.sec_money"), [], [
        Table(tr("gov.money"), [tr("rep.item"), tr("rep.count")], [
            [tr("gov.art27_notices"), n(money["art27_notices"])],
            [tr("gov.indemnity_amounts"), missing], [tr("gov.orders_to_pay"), missing],
            [tr("gov.collected"), missing], [tr("gov.fees_outstanding"), missing]], [4, 1.4])]))

    appeals = oversight.appeals(store, scope)
    sections.append(Section(tr("gov.sec_litigation"), [tr("gov.litigation_missing", missing=missing)], [
        Table(tr("gov.appeals", n=n(len(appeals))), [tr("gov.number"), tr("gov.kind"), tr("gov.appeal_on"), tr("gov.appeal_ref")],
              [[_ref(r), tr("doc." + r["kind"]), _day(r["appeal_on"]), r["appeal_ref"]] for r in appeals]
              or [[tr("gov.none"), "", "", ""]], [1, 2.5, 1.2, 2])]))

    today = min(date.today(), scope.end)
    delegations = oversight.delegations_in_force(store, today)
    sections.append(Section(tr("gov.sec_delegations"), [tr("gov.delegations_on", day=today.strftime("%d/%m/%Y"))], [
        Table(tr("gov.delegations"), [tr("gov.number"), tr("gov.delegate"), tr("gov.basis"), tr("gov.scope"),
                                      tr("gov.bo"), tr("gov.acts")],
              [[d["number"], (d["capacity_ar"] if ar else d["capacity_fr"]), tr("adm." + d["legal_basis"]),
                d["scope_ar"] if ar else d["scope_fr"],
                f"{d['bo_number']} — {_day(d['bo_date'])}" if d["bo_number"] else tr("gov.unpublished"), n(d["acts"])]
               for d in delegations] or [[tr("gov.none"), "", "", "", "", ""]], [0.8, 2, 1.2, 2, 1.4, 0.7])]))

    refused = oversight.refused_access(store, scope)
    sections.append(Section(tr("gov.sec_staff"), [tr("gov.staff_missing", missing=missing),
                                                  tr("gov.refused", refused=n(refused["refused"]),
                                                     again=n(refused["visited_again"]))], [
        Table(tr("gov.brigades"), [tr("ui.district"), tr("gov.brigade_days"), tr("rep.officers")],
              [[(b["name_ar"] if ar else b["name_fr"]) or tr("rep.no_district"), n(b["brigade_days"]), n(b["officers"])]
               for b in oversight.brigades(store, scope)] or [[tr("gov.none"), "", ""]], [3, 1, 1])]))

    regulations = [(code, t) for code, t in catalogue.texts.items() if t.rank >= 3]
    sections.append(Section(tr("gov.sec_regulations"), [], [
        Table(tr("gov.regulations"), [tr("gov.text"), tr("gov.reference"), tr("gov.status")],
              [[t.ar if ar else t.fr, t.reference_in(ar) or "—",
                tr("gov.confirmed") if t.confirmed else tr("gov.unconfirmed")] for _code, t in regulations]
              or [[tr("gov.none"), "", ""]], [3, 2, 2])]))

    spread = fairness.by_district(store, scope.start.isoformat())
    flagged = fairness.outliers(store)
    sections.append(Section(tr("gov.sec_fairness"), [tr("gov.outliers", n=n(len(flagged)),
                                                         most=n(round(max((f["times_median"] for f in flagged), default=0), 1)))],
                            [Table(tr("fair.by_district"), [tr("ui.district"), tr("gov.share_inspections"),
                                                            tr("gov.share_population"), tr("gov.share_complaints"),
                                                            tr("fair.ratio")],
                                   [[d["name_ar"] if ar else d["name_fr"], pct(d["share_inspections"]),
                                     pct(d["share_population"]), pct(d["share_complaints"]), n(d["ratio_to_population"])]
                                    for d in spread], [2.5, 1, 1, 1, 1])]))
    return sections


def annex(store: Store, scope: Scope, tr: Translator) -> Section:
    """The annex: each document signed in the period, in register order (legality control, art. 115)."""
    rows = oversight.signed_documents(store, scope)
    return Section(tr("gov.sec_annex"), [tr("gov.annex_intro")], [
        Table(tr("gov.annex"), [tr("gov.number"), tr("gov.date"), tr("gov.kind"), tr("gov.site"), tr("gov.delivered"),
                                tr("gov.transmitted"), tr("gov.receipt"), tr("gov.observation"), tr("gov.appeal")],
              [[_ref(r), _day(r["signed_on"]), tr("doc." + r["kind"]), r["site_name"] or "—", _day(r["delivered_on"]),
                _day(r["transmitted_on"]), _day(r["receipt_on"]), r["governor_observation"] or "—",
                _day(r["appeal_on"]) if r["appeal_on"] else "—"] for r in rows] or [[tr("gov.none")] + [""] * 8],
              [0.75, 1.2, 1.5, 1.4, 1.2, 1.2, 1.2, 1.1, 1.2], size=8)])
