"""After a write, every page that shows what changed refreshes itself: the visible one at once,
the others when next shown (none goes stale, none is refreshed by hand)."""
import re

import pytest

from desktop.store.users import authenticate
from desktop.ui.main_window import CASES_ROW, COMPLAINTS_ROW, INSPECTIONS_ROW, MAP_ROW, MainWindow
from desktop.ui.inspection_form import InspectionForm
from tests.desktop.ui.test_inspection_form import fill_valid, pick

pytestmark = pytest.mark.gui


def _count(text: str) -> int:
    return int("".join(re.match(r"[\d\s\u00a0]+", text).group().split()))


def _complaint_status(page, reference: str) -> str:
    for row in range(page.model.rowCount()):
        if page.model.index(row, 0).data() == reference:
            return page.model.index(row, 4).data()
    raise AssertionError(f"{reference} not listed")


def test_saving_an_inspection_refreshes_cases_map_and_complaints(qtbot, make_session, store):
    session = make_session(authenticate(store, "coordinateur", "coord-demo"))
    complaint = store.query("SELECT reference FROM complaint WHERE status = 'received' AND field_code = 'public_domain'"
                            " ORDER BY received_on DESC LIMIT 1")[0]["reference"]
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.nav.setCurrentRow(COMPLAINTS_ROW)
    complaints = win.complaints_page
    assert _complaint_status(complaints, complaint) == "reçue"
    win.nav.setCurrentRow(CASES_ROW)
    funnel_before = win.cases_page.funnel.text()
    cases_before = store.scalar("SELECT count(*) FROM case_file")
    win.nav.setCurrentRow(MAP_ROW)
    qtbot.waitUntil(lambda: win.map_page.loaded, timeout=20_000)
    points_before = _count(win.map_page.status.text())

    form = InspectionForm(session, None, win)
    qtbot.addWidget(form)
    fill_valid(qtbot, form, store)
    form.origin_ref.setText(complaint)
    item = next(c for c in session.catalogue.field("public_domain").checklist
                if session.catalogue.violation(c.violation).measure is None)
    pick(form.checklist.combos[item.code], "no")
    with qtbot.waitSignal(form.submitted):
        form.submit()

    # the map is on screen: it reloads its points now
    qtbot.waitUntil(lambda: win.map_page.loaded and _count(win.map_page.status.text()) == points_before + 1,
                    timeout=20_000)
    # the others were marked stale and refresh as they are shown
    assert {CASES_ROW, COMPLAINTS_ROW, INSPECTIONS_ROW} <= win.stale
    win.nav.setCurrentRow(COMPLAINTS_ROW)
    assert _complaint_status(complaints, complaint) == "acceptée"
    assert store.scalar("SELECT count(*) FROM case_file") == cases_before + 1  # the finding opened a case
    assert win.cases_page.funnel.text() == funnel_before  # not refreshed while hidden
    win.nav.setCurrentRow(CASES_ROW)
    assert f"{cases_before + 1:,}".replace(",", " ") in win.cases_page.funnel.text()
    assert not win.stale & {CASES_ROW, COMPLAINTS_ROW}


def test_a_page_not_built_yet_is_not_refreshed(qtbot, make_session, store):
    session = make_session(authenticate(store, "coordinateur", "coord-demo"))
    win = MainWindow(session)
    qtbot.addWidget(win)
    with store.transaction(session.user.id) as tx:
        tx.update("complaint", store.scalar("SELECT id FROM complaint LIMIT 1"), {"location_text": "x"})
    assert win.complaints_page is None and COMPLAINTS_ROW not in win.stale


def test_a_closed_window_no_longer_listens_to_the_store(qtbot, make_session, store):
    """Log out and in again many times: the store keeps one listener per open session, not per login."""
    session = make_session(authenticate(store, "coordinateur", "coord-demo"))
    win = MainWindow(session)
    qtbot.addWidget(win)
    listening = len(store._listeners)
    win.close()
    assert len(store._listeners) == listening - 1
