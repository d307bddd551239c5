from PySide6.QtCore import QDate, Qt

from desktop.ui.inspections_page import InspectionsPage


def test_model_passes_qt_model_tester(qtbot, qtmodeltester, session):
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    qtmodeltester.check(page.model)


def test_first_page_only_then_more_on_scroll(qtbot, session):
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    assert page.model.rowCount() == 200  # one page, not 3,000 rows
    page.view.scrollToBottom()
    qtbot.waitUntil(lambda: page.model.rowCount() > 200)
    qtbot.waitUntil(lambda: "3\u00a0000" in page.count.text())


def test_filters_narrow_the_list_and_the_count(qtbot, session, store):
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    page.field.setCurrentIndex(page.field.findData("urbanism"))
    page.outcome.setCurrentIndex(page.outcome.findData("violations"))
    expected = store.scalar("SELECT count(*) FROM inspection WHERE field_code = 'urbanism' AND outcome = 'violations'")
    qtbot.waitUntil(lambda: page.count.text().replace("\u00a0", "").startswith(str(expected)))
    labels = {page.model.index(r, 1).data() for r in range(page.model.rowCount())}
    assert labels == {"Urbanisme"}
    page.date_from.setDate(QDate(2026, 3, 1))
    page.date_to.setDate(QDate(2026, 3, 31))
    page.apply_filters()
    dates = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert dates and all("2026-03-01" <= d[:10] <= "2026-03-31" for d in dates)


def test_sorting_by_clicking_headers(qtbot, session, store):
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    page.view.sortByColumn(4, Qt.AscendingOrder)  # outcome, then date
    outcomes = [store.scalar("SELECT outcome FROM inspection WHERE id = ?", (page.model.id_at(r),))
                for r in range(page.model.rowCount())]
    assert outcomes == sorted(outcomes) and page.model.sort_column == 4
    page.view.sortByColumn(2, Qt.AscendingOrder)  # site name: not sortable on a million rows, ignored
    assert page.model.sort_column == 4


def test_free_text_search(qtbot, session, store):
    site = store.query("SELECT s.name, s.owner_id_number FROM site s JOIN inspection i ON i.site_id = s.id"
                       " WHERE s.owner_id_kind = 'cin' LIMIT 1")[0]
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    qtbot.keyClicks(page.text, site["owner_id_number"])
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and
                    all(page.model.index(r, 2).data() == site["name"] for r in range(page.model.rowCount())))


def test_export_the_filtered_list_with_progress(qtbot, session, store, tmp_path, monkeypatch):
    import pyogrio
    from PySide6.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    page.field.setCurrentIndex(page.field.findData("urbanism"))
    out = tmp_path / "urb.gpkg"
    finished = []
    page.export(out, on_finished=finished.append)
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    expected = store.scalar("SELECT count(*) FROM inspection WHERE field_code = 'urbanism'")
    assert finished == [expected] and len(pyogrio.read_dataframe(out)) == expected


def test_cancelled_export_leaves_no_file(qtbot, session, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    page = InspectionsPage(session)
    qtbot.addWidget(page)
    out = tmp_path / "all.geojson"
    finished = []
    dialog = page.export(out, on_finished=finished.append)
    dialog.canceled.emit()  # what the Cancel button does
    qtbot.waitUntil(lambda: bool(finished), timeout=10_000)
    assert finished == [None] or finished[0] == 3000  # a very fast export may finish first
    if finished == [None]:
        assert not out.exists()
    assert not list(tmp_path.glob(".*part*"))
