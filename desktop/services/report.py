"""The activity report's content: indicators (desktop.store.indicators) turned into the plain
sections the PDF engine lays out (reports.annual), with labels in the report's language."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from desktop.domain.catalogue import Catalogue
from desktop.domain.ids import local_display
from desktop.i18n import Translator
from desktop.services.paperwork import governor_title, phrases
from desktop.services.report_governor import annex, governor_sections
from desktop.store.commune import get_commune
from desktop.store.db import Store
from desktop.store.files import write_atomic
from desktop.store.indicators import Indicators, Scope, comparable_change, compute, data_as_of, first_recorded
from reports.annual import BarChart, MapFigure, ReportData, Section, Table, render_report
from reports.counting import count
from reports.numbers import grouped

CELL_DEG = 0.004  # about 400 m: the density map's cells


def number_text(value, comma: bool = False) -> str:
    """A count or a rate, grouped; ``comma``: the French decimal comma (1,3)."""
    return grouped(value, 0 if isinstance(value, int) else 1, comma=comma)


def share_text(value: float | None, comma: bool = False) -> str:
    """A share; under 1 % with one decimal, so that 350 inspections of 89,334 read 0.4 %, not 0 %."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}%" if 0 < value < 0.01 else f"{value * 100:.0f}%"
    return text.replace(".", ",") if comma else text


def _as_of(store: Store, tr: Translator) -> str:
    """«Data as of 01/12/2026 at 23:03» (the last recorded write, local time)."""
    when = local_display(data_as_of(store))
    if not when:
        return tr("rep.data_none")
    day = date.fromisoformat(when[:10]).strftime('%d/%m/%Y')
    return tr("rep.data_as_of", day=day, time=when[11:16])


def density_cells(store: Store, scope: Scope) -> list[tuple]:
    w, p = scope.where()
    rows = store.conn.execute(f"SELECT CAST(lon / {CELL_DEG} AS INTEGER), CAST(lat / {CELL_DEG} AS INTEGER), count(*)"
                              f" FROM inspection i WHERE {w} AND lon IS NOT NULL GROUP BY 1, 2", p).fetchall()
    return [(a * CELL_DEG, b * CELL_DEG, (a + 1) * CELL_DEG, (b + 1) * CELL_DEG, n) for a, b, n in rows]


def build_report(store: Store, catalogue: Catalogue, scope: Scope, lang: str, ind: Indicators | None = None,
                 cancelled=lambda: False, progress=None) -> ReportData:
    tr = Translator(lang)
    ar = lang == "ar"
    _n = lambda v: number_text(v, not ar)  # noqa: E731 - French decimals take a comma
    _pct = lambda v: share_text(v, not ar)  # noqa: E731
    ind = ind or compute(store, scope, cancelled=cancelled, progress=progress)
    commune = get_commune(store)
    field = lambda code: catalogue.field(code).label(lang) if catalogue.has_field(code) else code  # noqa: E731
    today = date.today()
    last = scope.end - timedelta(days=1)
    # A period not over yet is reported "to date" (legal review E1), never past the day of issue.
    period = (f"{scope.start.strftime('%d/%m/%Y')} – {last.strftime('%d/%m/%Y')}" if last < today
              else tr("rep.to_date", start=scope.start.strftime('%d/%m/%Y'), today=today.strftime('%d/%m/%Y')))
    first = first_recorded(store)
    change = comparable_change(ind.inspections, ind.previous_inspections, scope.previous().start, first)
    violations = sum(n for o, n in ind.by_outcome if o == "violations")
    counted = {key: count(value, noun, lang, spelled=False) for key, noun, value in (
        ("n_counted", "inspections", ind.inspections), ("cases_counted", "cases", ind.funnel[0]["count"] if ind.funnel else 0),
        ("signed_counted", "decisions", ind.decisions.get("signed", 0)),
        ("complaints_counted", "complaints", ind.complaints.get("received", 0)))}
    summary = [tr("rep.summary", n=_n(ind.inspections), violations=_n(violations),
                  rate=_pct(violations / ind.inspections if ind.inspections else None),
                  cases=_n(ind.funnel[0]["count"] if ind.funnel else 0), signed=_n(ind.decisions.get("signed", 0)),
                  complaints=_n(ind.complaints.get("received", 0)), **counted)]
    previous = count(ind.previous_inspections or 0, "inspections", lang, spelled=False)
    if change is not None:
        summary.append(tr("rep.compare", previous=previous, change=f"{change * 100:+.0f}%"))
    elif ind.previous_inspections and first and first > scope.previous().start:  # not covered (E12): the count, why
        summary.append(tr("rep.compare_count", previous=previous))
        summary.append(tr("rep.compare_partial", first=first.strftime('%d/%m/%Y')))
    elif ind.previous_inspections:  # too few: the count, without a percentage that would mislead
        summary.append(tr("rep.compare_no_rate", previous=previous))
    if not ind.inspections:
        summary.append(tr("rep.empty_period"))
    # An information report sent to the governor (OL 113-14 arts 106 and 272; no text requires it).
    governor = governor_title(commune, lang)
    sections = [Section(tr("rep.sec_addressee"), [tr("rep.addressee", governor=governor), tr("rep.frame"),
                                                  tr("rep.issued_on", day=today.strftime('%d/%m/%Y')),
                                                  _as_of(store, tr)]),
                Section(tr("rep.sec_summary"), summary)]
    sections.append(Section(tr("rep.sec_fields"), [], [
        Table(tr("rep.by_field"), [tr("ui.field"), tr("rep.count"), tr("fair.share")],
              [[field(c), _n(n), _pct(n / ind.inspections if ind.inspections else None)] for c, n in ind.by_field], [3, 1, 1]),
        BarChart(tr("rep.by_field"), [field(c) for c, _ in ind.by_field[:10]], [n for _, n in ind.by_field[:10]])]))
    districts = ind.by_district
    geometries = {r["id"]: json.loads(r["geometry"]) for r in store.query(
        "SELECT id, geometry FROM district WHERE deleted_at IS NULL AND geometry IS NOT NULL")}
    blocks: list[Table | MapFigure] = [Table(tr("rep.by_district"), [tr("ui.district"), tr("layer.population"), tr("rep.count"), tr("rep.per_1000"),
                                          tr("rep.violations_per_1000")],
                    [[d["name_ar"] if ar else d["name_fr"], _n(d["population"]), _n(d["inspections"]), _n(d["per_1000"]),
                      _n(d["violations_per_1000"])] for d in districts], [3, 1.3, 1, 1, 1.3])]
    if geometries:
        blocks.append(MapFigure(tr("rep.map_rate"), [(geometries[d["id"]], d["per_1000"], d["name_ar"] if ar else d["name_fr"])
                                                   for d in districts if d["id"] in geometries], tr("rep.per_1000")))
        blocks.append(MapFigure(tr("rep.map_points"), [(geometries[d["id"]], None, "") for d in districts if d["id"] in geometries],
                                tr("rep.map_points_legend"), density_cells(store, scope)))
    sections.append(Section(tr("rep.sec_districts"), [], blocks))
    sections.append(Section(tr("rep.sec_time_origin"), [], [
        BarChart(tr("rep.by_month"), [m for m, _ in ind.by_month], [n for _, n in ind.by_month]),
        Table(tr("rep.by_origin"), [tr("ui.origin"), tr("rep.count"), tr("fair.share")],
              [[tr.enum("origin", o), _n(n), _pct(n / ind.inspections if ind.inspections else None)] for o, n in ind.by_origin], [3, 1, 1]),
        Table(tr("rep.by_outcome"), [tr("ui.outcome"), tr("rep.count"), tr("fair.share")],
              [[tr.enum("outcome", o), _n(n), _pct(n / ind.inspections if ind.inspections else None)] for o, n in ind.by_outcome], [3, 1, 1])]))
    sections.append(Section(tr("rep.sec_violations"), [], [
        Table(tr("rep.by_violation"), [tr("rep.code"), tr("rep.violation"), tr("rep.count")],
              [[c, catalogue.violation(c).label(lang) if catalogue.has_violation(c) else c, _n(n)]
               for c, n in ind.by_violation], [1, 4, 1])]))
    sections.append(Section(tr("rep.sec_enforcement"), [tr("rep.overdue", n=_n(ind.overdue_steps)), tr("rep.funnel_note")], [
        Table(tr("rep.funnel"), [tr("rep.rung"), tr("rep.count"), tr("rep.conversion"), tr("rep.median_days")],
              [[tr("funnel." + r["rung"]), _n(r["count"]), _pct(r["rate"]), _n(r["median_days"])] for r in ind.funnel], [3, 1, 1, 1]),
        Table(tr("rep.referrals"), [tr("rep.authority"), tr("rep.sent"), tr("rep.followed_up")],
              [[tr("auth." + r["authority"]), _n(r["sent"]), _n(r["followed_up"])] for r in ind.referrals], [3, 1, 1]),
        Table(tr("rep.decisions"), [tr("rep.item"), tr("rep.count")],
              [[tr(f"rep.dec_{k}"), _n(v)] for k, v in ind.decisions.items()], [4, 1])]))
    sections += governor_sections(store, catalogue, scope, ind, tr, _n, _pct)
    sections.append(Section(tr("rep.sec_complaints"), [], [
        Table(tr("rep.complaints"), [tr("rep.item"), tr("rep.count")],
              [[tr(f"rep.cp_{k}"), _n(v)] for k, v in ind.complaints.items()], [4, 1])]))
    # Officers appear as totals by arrondissement, not by name (legal review E11).
    homes = {r["id"]: (r["name_ar"] if ar else r["name_fr"]) for r in store.query(
        "SELECT u.id, d.name_ar, d.name_fr FROM [user] u JOIN district d ON d.id = u.district_id")}
    teams: dict[str, list[int]] = {}
    for w in ind.workload:
        team = teams.setdefault(homes.get(w["id"], tr("rep.no_district")), [0, 0, 0])
        team[0] += 1
        team[1] += w["inspections"]
        team[2] += w["days"]
    sections.append(Section(tr("rep.sec_workload"), [], [
        Table(tr("rep.workload"), [tr("ui.district"), tr("rep.officers"), tr("rep.count"), tr("rep.per_day")],
              [[name, _n(n), _n(visits), _n(visits / days if days else None)]
               for name, (n, visits, days) in sorted(teams.items())], [3, 1, 1, 1])]))
    sections.append(Section(tr("rep.sec_difficulties"), [tr("rep.difficulties_hint"), "…………………………………………", "…………………………………………"]))
    sections.append(Section(tr("rep.sec_method"), [tr("rep.method")]))
    capacity = phrases()["president_capacity"][lang].format(
        commune=(commune.name_ar if ar else commune.name_fr).replace(phrases()["place_prefix"][lang], "") if commune else "")
    sections.append(Section(tr("rep.sec_signature"), [capacity, (commune.president_ar if ar else commune.president_fr)
                                                      if commune else ""]))
    sections.append(annex(store, scope, tr))  # each document signed, after the signature
    header = [tr("rep.kingdom"), tr("rep.ministry")] + ([commune.wilaya_ar if ar else commune.wilaya_fr,
                                                          commune.prefecture_ar if ar else commune.prefecture_fr,
                                                          commune.name_ar if ar else commune.name_fr] if commune else [])
    return ReportData(lang, tr("rep.title"), period, [h for h in header if h], sections, tr("rep.toc"), tr("rep.page"))


def write_report(store: Store, catalogue: Catalogue, scope: Scope, lang: str, out: Path, cancelled=lambda: False,
                 progress=None) -> int:
    """Compute, lay out and write the report; a cancel or a failure leaves no file behind.
    ``progress(percent)`` follows the queries (first half) and the layout (second half).
    Returns the number of bytes written."""
    tell = progress or (lambda _percent: None)
    data = build_report(store, catalogue, scope, lang, cancelled=cancelled,
                        progress=lambda done, total: tell(50 * done // total))
    pdf = render_report(data, cancelled, lambda done, total: tell(50 + 50 * done // total))
    write_atomic(out, pdf)
    return len(pdf)
