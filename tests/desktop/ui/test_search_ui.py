"""Search, sort and count in the case and complaint lists, typed like a user would."""
import pytest
from PySide6.QtCore import Qt

from desktop.store.users import authenticate
from desktop.ui.cases_page import CasesPage
from desktop.ui.complaints_page import ComplaintsPage


@pytest.fixture
def coordinator_session(make_session, store):
    return make_session(authenticate(store, "coordinateur", "coord-demo"))


def all_rows(model, column):
    while model.canFetchMore():
        model.fetchMore()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_cases_search_by_owner_and_sort_by_site(qtbot, coordinator_session, store):
    page = CasesPage(coordinator_session)
    qtbot.addWidget(page)
    total = store.scalar("SELECT count(*) FROM case_step WHERE status = 'open' AND deleted_at IS NULL")
    assert total > 1 and page.count.text().replace("\u00a0", "").startswith(str(total))
    owner = store.query("SELECT st.owner_name FROM case_step s JOIN case_file c ON c.id = s.case_id"
                        " JOIN site st ON st.id = c.site_id WHERE s.status = 'open' AND st.owner_name != '' LIMIT 1")[0]["owner_name"]
    word = owner.split()[-1]
    expected = store.scalar(
        "SELECT count(*) FROM case_step s JOIN case_file c ON c.id = s.case_id JOIN site st ON st.id = c.site_id"
        " WHERE s.status = 'open' AND s.deleted_at IS NULL AND (st.name LIKE ?1 OR st.address LIKE ?1"
        " OR st.owner_name LIKE ?1 OR st.owner_id_number LIKE ?1 OR c.id LIKE ?1)", (f"%{word}%",))
    qtbot.keyClicks(page.search, word)
    qtbot.waitUntil(lambda: page.model.rowCount() == min(expected, 200) and expected < total)
    assert page.count.text().replace("\u00a0", "").startswith(str(expected))
    page.search.clear()
    qtbot.waitUntil(lambda: len(all_rows(page.model, 2)) == total)
    page.view.sortByColumn(2, Qt.AscendingOrder)  # site name
    names = all_rows(page.model, 2)
    assert names == sorted(names, key=str.casefold) and len(names) == total
    page.view.sortByColumn(2, Qt.DescendingOrder)
    assert all_rows(page.model, 2) == sorted(names, key=str.casefold, reverse=True)


def test_complaints_search_by_reference_complainant_and_site(qtbot, coordinator_session, store):
    page = ComplaintsPage(coordinator_session)
    qtbot.addWidget(page)
    c = store.query("SELECT reference, location_text FROM complaint WHERE location_text != '' LIMIT 1")[0]
    qtbot.keyClicks(page.search, c["reference"])
    qtbot.waitUntil(lambda: all_rows(page.model, 0) == [c["reference"]])
    assert page.count.text().startswith("1 ")
    page.search.setText(c["location_text"])  # the place, in Arabic
    qtbot.waitUntil(lambda: c["reference"] in all_rows(page.model, 0))
    assert len(all_rows(page.model, 0)) < store.scalar("SELECT count(*) FROM complaint")
    linked = store.query("SELECT co.reference, st.name FROM complaint_inspection ci JOIN complaint co ON co.id = ci.complaint_id"
                         " JOIN inspection i ON i.id = ci.inspection_id JOIN site st ON st.id = i.site_id LIMIT 1")
    assert linked
    page.search.setText(linked[0]["name"])  # the site of an inspection launched from it
    qtbot.waitUntil(lambda: linked[0]["reference"] in all_rows(page.model, 0))
    page.search.setText("zzz-nothing-matches-zzz")
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    page.search.clear()  # its search runs after a short delay: waited for, not left to fire in the next test
    total = store.scalar("SELECT count(*) FROM complaint WHERE deleted_at IS NULL")
    qtbot.waitUntil(lambda: len(all_rows(page.model, 0)) == total)
    page.view.sortByColumn(0, Qt.AscendingOrder)
    refs = all_rows(page.model, 0)
    assert refs == sorted(refs) and len(refs) == store.scalar("SELECT count(*) FROM complaint WHERE deleted_at IS NULL")
