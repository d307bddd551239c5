"""The dashboard's drill-down, the report made in the background, lists to CSV and XLSX."""
import csv

from PySide6.QtCore import QDate

from desktop.store.users import authenticate
from desktop.ui.list_export import export_model
from desktop.ui.main_window import REPORTS_ROW, MainWindow


def test_dashboard_bar_opens_the_matching_inspections(qtbot, make_session, store):
    session = make_session(authenticate(store, "president", "president-demo"))
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    win.nav.setCurrentRow(REPORTS_ROW)
    page = win.reports_page
    page.date_from.setDate(QDate(2026, 1, 1))
    page.date_to.setDate(QDate(2026, 3, 31))
    page.refresh()
    expected = store.scalar("SELECT count(*) FROM inspection WHERE inspected_at >= '2026-01-01' AND inspected_at < '2026-04-01'")
    assert page.indicators.inspections == expected
    # signed documents by series, apart from the steps the cases reached (legal review B5)
    arretes = store.scalar("SELECT count(*) FROM decision WHERE status = 'signed' AND series = 'arrete'"
                           " AND signed_on >= '2026-01-01' AND signed_on < '2026-04-01'")
    kpis = page.kpis.text()
    assert f"Documents signés : {arretes} arrêté" in kpis and "Étapes atteintes par les dossiers" in kpis
    first = store.scalar("SELECT min(inspected_at) FROM inspection")[:10]
    assert first <= page.scope().previous().start.isoformat() and "pas entièrement couverte" not in kpis
    page.date_from.setDate(QDate.fromString(first, "yyyy-MM-dd").addDays(10))
    page.date_to.setDate(QDate.fromString(first, "yyyy-MM-dd").addDays(100))
    page.refresh()  # its previous period starts before the data: the comparison is flagged
    assert "pas entièrement couverte" in page.kpis.text()
    assert "Données arrêtées au" in page.kpis.text()  # the data's date under the figures
    page.date_from.setDate(QDate(2026, 1, 1))
    page.date_to.setDate(QDate(2026, 3, 31))
    page.refresh()
    chart = page.by_field
    top, row, _l, _b = chart._geometry()
    key = chart.key_at(top + row / 2)
    assert key == page.indicators.by_field[0][0]
    page._drill(field_code=key)
    assert win.nav.currentRow() == 0
    inspections = win.inspections
    qtbot.waitUntil(lambda: inspections.count.text().replace(" ", "")[:1].isdigit())
    count = int("".join(ch for ch in inspections.count.text() if ch.isdigit()))
    from desktop.ui.inspections_page import local_day_to_utc
    start, end = local_day_to_utc(QDate(2026, 1, 1)), local_day_to_utc(QDate(2026, 4, 1))  # local days, in UTC
    assert count == store.scalar("SELECT count(*) FROM inspection WHERE field_code = ? AND inspected_at >= ?"
                                 " AND inspected_at < ?", (key, start, end))
    assert inspections.field.currentData() == key


def test_report_generated_in_the_background(qtbot, make_session, store, tmp_path):
    session = make_session(authenticate(store, "president", "president-demo"))
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.nav.setCurrentRow(REPORTS_ROW)
    out = tmp_path / "rapport.pdf"
    done = []
    win.reports_page.make_report(out, on_finished=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    assert done == [out] and out.read_bytes()[:5] == b"%PDF-"
    cancelled = []
    progress = win.reports_page.make_report(tmp_path / "annule.pdf", on_finished=cancelled.append)
    progress.canceled.emit()
    qtbot.waitUntil(lambda: bool(cancelled), timeout=30_000)
    assert not list(tmp_path.glob(".annule*")) and (cancelled == [None]) == (not (tmp_path / "annule.pdf").exists())


def test_lists_export_to_csv_and_xlsx(qtbot, session, store, tmp_path):
    from openpyxl import load_workbook
    from desktop.ui.inspections_page import InspectionsPage
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    page.field.setCurrentIndex(page.field.findData("urbanism"))
    expected = store.scalar("SELECT count(*) FROM inspection WHERE field_code = 'urbanism'")
    assert export_model(page.model, tmp_path / "l.csv") == expected  # every row, not only the loaded page
    with (tmp_path / "l.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == page.model.headers and len(rows) == expected + 1 and rows[1][1] == "Urbanisme"
    assert export_model(page.model, tmp_path / "l.xlsx") == expected
    book = load_workbook(tmp_path / "l.xlsx", read_only=True)
    try:
        assert sum(1 for _ in book.active.iter_rows()) == expected + 1
    finally:
        book.close()


def test_the_register_exports_what_it_shows(qtbot, make_session, store, tmp_path):
    from openpyxl import load_workbook
    from desktop.ui.register_page import RegisterPage
    page = RegisterPage(make_session(authenticate(store, "president", "president-demo")))
    qtbot.addWidget(page)
    page.year.setValue(2026)
    model = page.model
    shown = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(model.rowCount())]
    assert export_model(model, tmp_path / "r.csv") == len(shown) > 0
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == model.headers and rows[1:] == shown
    # Checked against the database: every signed decision of the year, by its register number.
    numbered = {f"{r['number']}/{r['year']}" for r in store.query(
        "SELECT number, year FROM decision WHERE year = 2026 AND number IS NOT NULL")}
    assert numbered and {row[0] for row in rows[1:] if row[0] != "—"} == numbered
    assert export_model(model, tmp_path / "r.xlsx") == len(shown)
    book = load_workbook(tmp_path / "r.xlsx", read_only=True)
    try:
        cells = [[c if c is not None else "" for c in row] for row in book.active.iter_rows(values_only=True)]
    finally:
        book.close()
    assert cells == rows
