from desktop.ui.main_window import MainWindow
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


def test_sites_page_is_built_when_first_opened(qtbot, session):
    win = MainWindow(session)
    qtbot.addWidget(win)
    assert win.sites is None
    win.nav.setCurrentRow(1)
    assert win.sites is not None and win.pages.currentWidget() is win.sites
