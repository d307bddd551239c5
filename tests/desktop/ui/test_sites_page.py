from desktop.ui.main_window import SITES_ROW, MainWindow
from desktop.ui.sites_page import SitesPage


def test_site_registry_search_and_history(qtbot, session, store):
    page = SitesPage(session)
    qtbot.addWidget(page)
    site = store.query("SELECT s.id, s.name, s.owner_id_number, count(i.id) AS n FROM site s"
                       " JOIN inspection i ON i.site_id = s.id WHERE s.owner_id_kind = 'cin'"
                       " GROUP BY s.id ORDER BY n DESC LIMIT 1")[0]
    qtbot.keyClicks(page.text, site["owner_id_number"])
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.view.selectRow(0)
    assert page.history.rowCount() == site["n"] > 1
    dates = [page.history.index(r, 0).data() for r in range(page.history.rowCount())]
    assert dates == sorted(dates, reverse=True)
    assert site["owner_id_number"] in page.summary.text()


def test_the_sites_entry_shows_the_registry_and_keeps_its_search(qtbot, session, store):
    win = MainWindow(session)
    qtbot.addWidget(win)
    assert win.nav.item(SITES_ROW).text() == session.tr("ui.nav_sites")
    win.nav.setCurrentRow(SITES_ROW)
    page = win.pages.currentWidget()
    assert isinstance(page, SitesPage) and page.isVisibleTo(win)
    owner_id = store.scalar("SELECT owner_id_number FROM site WHERE owner_id_kind = 'cin' ORDER BY rowid LIMIT 1")
    qtbot.keyClicks(page.text, owner_id)
    expected = store.scalar("SELECT count(*) FROM site WHERE owner_id_number = ?", (owner_id,))
    qtbot.waitUntil(lambda: page.model.rowCount() == expected)  # the whole registry until the search applies
    assert {page.model.index(r, 5).data() for r in range(expected)} == {owner_id}
    # Away and back: the same registry, its search and results as they were.
    win.nav.setCurrentRow(0)
    assert win.pages.currentWidget() is not page
    win.nav.setCurrentRow(SITES_ROW)
    assert win.pages.currentWidget() is page
    assert page.text.text() == owner_id and page.model.index(0, 5).data() == owner_id
