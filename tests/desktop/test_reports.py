"""The activity report, its indicators, the open-data export and list exports."""
import csv
import json
import re
import subprocess
from concurrent.futures import CancelledError
from datetime import date

import pytest

from desktop.cli import main
from desktop.services.opendata import export_open_data
from desktop.services.report import write_report
from desktop.store.indicators import ComputeCancelled, Scope, compute, year_scope
from reports.annual import Cancelled as ReportCancelled


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_indicators_match_independent_counts(store):
    scope = Scope(date(2026, 1, 1), date(2026, 4, 1))
    ind = compute(store, scope)
    rows = store.conn.execute("SELECT field_code, district_id, outcome, origin_type, inspected_at FROM inspection").fetchall()
    inside = [r for r in rows if "2026-01-01" <= r[4][:10] < "2026-04-01"]
    assert ind.inspections == len(inside)
    assert dict(ind.by_field) == {f: sum(1 for r in inside if r[0] == f) for f in {r[0] for r in inside}}
    assert dict(ind.by_origin) == {o: sum(1 for r in inside if r[3] == o) for o in {r[3] for r in inside}}
    district = ind.by_district[0]
    assert district["inspections"] == sum(1 for r in inside if r[1] == district["id"])
    assert district["per_1000"] == pytest.approx(district["inspections"] / district["population"] * 1000)
    months = dict(ind.by_month)
    assert set(months) == {"2026-01", "2026-02", "2026-03"} and sum(months.values()) == len(inside)
    previous = [r for r in rows if "2025-10-03" <= r[4][:10] < "2026-01-01"]  # the 90 days before
    assert ind.previous_inspections == len(previous)
    by_district = compute(store, Scope(scope.start, scope.end, district_id=district["id"]))
    assert by_district.inspections == district["inspections"]


def test_report_pdf_has_its_sections_toc_and_page_numbers(store, catalogue, tmp_path):
    out = tmp_path / "rapport.pdf"
    percents = []
    write_report(store, catalogue, Scope(date(2026, 1, 1), date(2026, 7, 1)), "fr", out, progress=percents.append)
    assert percents == sorted(percents) and percents[-1] == 100 and len(percents) > 20
    text = pdf_text(out)
    flat = " ".join(text.split())
    for phrase in ("Rapport d'activité de la police", "Sommaire", "Contrôles par arrondissement",
                   "Contrôles pour 1 000 habitants par arrondissement", "De la constatation à l'exécution",
                   "Saisines par autorité", "Plaintes", "Note méthodologique", "Hay-Hassani"):
        assert phrase in flat, phrase
    pages = int(subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout.split("Pages:")[1].split()[0])
    assert pages >= 6 and f"Page {pages} / {pages}" in text
    assert "Page 1 / …" not in text  # the second pass knew the total
    ar = tmp_path / "ar.pdf"
    write_report(store, catalogue, Scope(date(2026, 1, 1), date(2026, 7, 1)), "ar", ar)
    assert "التقرير السنوي لنشاط الشرطة الإدارية الجماعية" in subprocess.run(["pdftotext", str(ar), "-"],
                                                                          capture_output=True, text=True).stdout


def test_empty_period_gives_a_clear_report(store, catalogue, tmp_path):
    out = tmp_path / "vide.pdf"
    write_report(store, catalogue, year_scope(2019), "fr", out)
    assert "Aucun contrôle n'a été enregistré sur la période" in pdf_text(out)


def test_database_without_districts_or_population(tmp_path, catalogue, monkeypatch):
    monkeypatch.setenv("COMMUNE_POLICE_ADMIN_PASSWORD", "a-long-secret")
    db = tmp_path / "empty.sqlite"
    assert main(["init", "--db", str(db), "--commune-ar", "جماعة", "--commune-fr", "Commune"]) == 0
    out = tmp_path / "r.pdf"
    assert main(["report", "annual", "--year", "2026", "--db", str(db), "--out", str(out), "--lang", "fr"]) == 0
    assert "Aucun contrôle" in pdf_text(out)


@pytest.mark.parametrize("polls, engine", [(3, ComputeCancelled), (16, ReportCancelled)])
def test_cancelled_report_leaves_no_file(store, catalogue, tmp_path, polls, engine):
    """Cancelled during the queries (14 polls) or during the layout: one exception family."""
    out = tmp_path / "r.pdf"
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > polls
    with pytest.raises(CancelledError) as raised:
        write_report(store, catalogue, year_scope(2026), "fr", out, cancelled=cancelled)
    assert type(raised.value) is engine and len(calls) == polls + 1
    assert not out.exists() and not list(tmp_path.glob(".r.pdf*"))


def test_report_cli(demo_path, tmp_path, capsys):
    out = tmp_path / "a.pdf"
    assert main(["report", "annual", "--from", "2026-01-01", "--to", "2026-03-31", "--db", str(demo_path),
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:5] == b"%PDF-"
    assert main(["report", "annual", "--from", "2026-05-01", "--to", "2026-03-31", "--db", str(demo_path),
                 "--out", str(out)]) == 2


def test_open_data_has_no_personal_data(store, catalogue, tmp_path):
    files = export_open_data(store, catalogue, year_scope(2026), tmp_path / "od")
    blob = "\n".join(f.read_text(encoding="utf-8-sig") for f in files)
    personal = set()
    for r in store.query("SELECT name, address, owner_name, owner_id_number FROM site"):
        personal |= {v for v in r.values() if v and len(v) > 4}
    for r in store.query("SELECT complainant_name, complainant_contact, location_text, description FROM complaint"):
        personal |= {v for v in r.values() if v and len(v) > 4}
    personal |= {r["full_name_fr"] for r in store.query("SELECT full_name_fr FROM [user] WHERE role = 'officer'")}
    leaked = [p for p in personal if p in blob]
    assert leaked == []
    exact = {f"{r['lon']:.6f}" for r in store.query("SELECT lon FROM inspection LIMIT 500")}
    assert not any(e in blob for e in exact)  # no exact location
    cells = json.loads((tmp_path / "od" / "controles_mailles.geojson").read_text())
    assert cells["features"] and sum(f["properties"]["nombre"] for f in cells["features"]) <= store.scalar(
        "SELECT count(*) FROM inspection WHERE inspected_at >= '2026-01-01' AND inspected_at < '2027-01-01'")
    assert min(f["properties"]["nombre"] for f in cells["features"]) >= 5  # small cells are not published
    with (tmp_path / "od" / "dictionnaire_des_donnees.csv").open(encoding="utf-8-sig") as fh:
        described = {row["fichier"] for row in csv.DictReader(fh)}
    assert {f.name for f in files if "dictionnaire" not in f.name} <= described


def test_choropleth_legend_is_drawn_swatches_with_ranges_and_grouped_numbers(store, catalogue, tmp_path):
    out = tmp_path / "rapport.pdf"
    write_report(store, catalogue, Scope(date(2026, 1, 1), date(2026, 7, 1)), "fr", out)
    text = pdf_text(out)
    assert "≤" not in text and "▯" not in text  # no character the font lacks
    # French decimals take a comma (1,3)
    assert re.search(r"< \d+,\d", text) and re.search(r"\d,\d–\d+,\d", text) and re.search(r"> \d+,\d", text)
    ar = tmp_path / "ar.pdf"
    write_report(store, catalogue, Scope(date(2026, 1, 1), date(2026, 7, 1)), "ar", ar)
    flat = " ".join(subprocess.run(["pdftotext", "-raw", str(ar), "-"], capture_output=True, text=True).stdout.split())
    assert "(OpenStreetMap (ODbL" not in flat and "ODbL" in flat


def test_the_report_is_an_information_report_to_the_governor(store, catalogue, tmp_path):
    """Legal review E: addressee, legal frame, date of issue, "to date", signature; officers as
    totals by arrondissement, never by name; a difficulties section; a partial comparison flagged."""
    import subprocess
    from datetime import date
    from desktop.services.report import write_report
    from desktop.store.indicators import Scope
    out = tmp_path / "r.pdf"
    today = date.today()
    write_report(store, catalogue, Scope(date(today.year, 1, 1), date(today.year + 1, 1, 1)), "fr", out)
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Wali de la région de Casablanca-Settat" in text and "articles 106 et 272" in text
    assert f"Date d'émission : {today.strftime('%d/%m/%Y')}" in text and f"au {today.strftime('%d/%m/%Y')} (à ce jour)" in text
    assert "Difficultés et propositions" in text and "Le Président du Conseil de la commune de Casablanca" in text
    names = [r[0] for r in store.conn.execute("SELECT full_name_fr FROM [user] WHERE role = 'officer' LIMIT 20")]
    assert names and not any(n in text for n in names)


def test_no_misleading_percentage_and_the_data_date(store, catalogue, tmp_path):
    """Review finding 17: no "+737 %" against a nearly empty or partly covered previous period;
    the report says when its data were last written."""
    import subprocess
    from datetime import date, timedelta
    from desktop.domain.ids import local_display
    from desktop.services.report import write_report
    from desktop.store.indicators import Scope, comparable_change, data_as_of, first_recorded
    assert comparable_change(840, 100, date(2026, 1, 1), date(2025, 1, 1)) == 7.4
    assert comparable_change(840, 29, date(2026, 1, 1), date(2025, 1, 1)) is None     # too few to compare
    assert comparable_change(840, 500, date(2026, 1, 1), date(2026, 3, 1)) is None    # records begin later
    first = first_recorded(store)
    out = tmp_path / "r.pdf"
    # A year starting 60 days after the first records: its previous year is covered for 60 days only.
    start = first + timedelta(days=60)
    write_report(store, catalogue, Scope(start, start + timedelta(days=365)), "fr", out)
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Période précédente de même durée" in text and "%)" not in text.split("Période précédente de même durée")[1][:80]
    when = local_display(data_as_of(store))
    assert f"Données arrêtées au {date.fromisoformat(when[:10]).strftime('%d/%m/%Y')} à {when[11:16]}" in text
