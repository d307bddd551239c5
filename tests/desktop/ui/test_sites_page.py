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


def test_a_coordinator_corrects_a_site_and_adds_an_authorisation(qtbot, make_session, store, monkeypatch):
    """Review finding 24: a site, its owner and its authorisation can be corrected; the officer
    cannot; a wrong entry is said in the dialog; every change is journaled."""
    from desktop.store.users import authenticate
    from desktop.ui.site_edit_dialog import SiteEditDialog
    import desktop.ui.sites_page as sites_page
    officer_page = SitesPage(make_session(authenticate(store, "agent001", "agent-demo")))
    qtbot.addWidget(officer_page)
    officer_page.view.selectRow(0)
    assert not officer_page.edit_button.isEnabled()
    page = SitesPage(make_session(authenticate(store, "coordinateur", "coord-demo")))
    qtbot.addWidget(page)
    page.view.selectRow(0)
    assert page.edit_button.isEnabled()
    site_id = page.model.id_at(0)
    shown = []

    def fill_in(dialog: SiteEditDialog) -> int:
        shown.append(dialog)
        dialog.owner_id_kind.setCurrentIndex(dialog.owner_id_kind.findData("cin"))
        dialog.owner_id_number.clear()
        assert not dialog.save() and dialog.error.text()  # an identity kind without its number
        dialog.owner_name.setText("Said Bennani")
        dialog.owner_id_number.setText("bk123456")
        dialog.auth_ref.setText("AUT-2026-77")
        dialog.auth_expires.setText("2027-06-30")
        return int(dialog.save())
    monkeypatch.setattr(sites_page.SiteEditDialog, "exec", fill_in)
    assert page.edit_site()
    row = store.query("SELECT owner_name, owner_id_number FROM site WHERE id = ?", (site_id,))[0]
    assert (row["owner_name"], row["owner_id_number"]) == ("Said Bennani", "BK123456")
    assert store.scalar("SELECT expires_on FROM authorisation WHERE site_id = ? AND reference = 'AUT-2026-77'",
                        (site_id,)) == "2027-06-30"
    assert store.scalar("SELECT count(*) FROM journal WHERE entity = 'site' AND entity_id = ? AND op = 'update'",
                        (site_id,)) == 1
    page.view.selectRow(0)
    assert "Said Bennani" in page.summary.text() and "AUT-2026-77" in page.summary.text()
