"""The sync in the GUI, against a real hub server: the state in the status bar, «Synchroniser» in
the background, and the coordinator's Conflits page resolving a real clash at the hub."""
import os
from pathlib import Path

import psycopg
import pytest

from desktop.hub import list_conflicts
from desktop.i18n import Translator
from desktop.services import netsync, sync
from desktop.services.commune import open_commune
from desktop.services.jobs import Cancelled, Job
from desktop.settings import Settings
from desktop.store.users import get_user
from tests.builders import PASSWORD
from tests.desktop.hub.helpers import make_team
from tests.desktop.hub.server import HubServer

pytestmark = pytest.mark.gui
SHOTS = os.environ.get("COMMUNE_POLICE_SHOTS")  # a folder: the screenshots are kept there to look at


@pytest.fixture
def clash(tmp_path, empty_commune_path, pg_url):
    """Two coordinator stations enrolled over HTTP that renamed the same site differently; the
    second's sync brought the conflict to the hub."""
    team = make_team(tmp_path, empty_commune_path, pg_url)
    hub = HubServer(pg_url).start()
    stations = []
    for n in range(2):
        path = tmp_path / f"station{n}.sqlite"
        netsync.enroll_device(path, hub.url, "coord", PASSWORD)
        stations.append(path)
    for path, name in zip(stations, ("Café Anfa (nouveau nom)", "Café de la Corniche")):
        with open_commune(path) as c:
            coord = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = 'coord'"))
            with c.store.transaction(coord.id) as tx:
                tx.update("site", team.sites[0], {"name": name})
    netsync.sync_now(stations[0])
    yield team, hub, stations
    hub.stop()


def _window(qtbot, path: Path, lang: str, tmp_path):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    commune = open_commune(path)
    commune.user = get_user(commune.store, commune.store.scalar("SELECT id FROM [user] WHERE username = 'coord'"))
    session = Session(commune, Translator(lang), Settings(tmp_path / f"settings-{lang}.json"))
    win = MainWindow(session)
    qtbot.addWidget(win)
    win.resize(1280, 760)
    win.show()
    return win


def _shot(widget, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(SHOTS) / name))


@pytest.fixture
def errors_shown(monkeypatch):
    """What the pages would show in a message box (a modal box would block the test instead)."""
    shown = []
    for module in ("desktop.ui.sync_panel", "desktop.ui.conflicts_page"):
        monkeypatch.setattr(f"{module}.show_error", lambda parent, exc, tr: shown.append(exc))
    return shown


def test_status_bar_sync_and_conflicts_page(qtbot, clash, tmp_path, errors_shown):
    team, hub, (first, second) = clash
    win = _window(qtbot, second, "fr", tmp_path)
    panel = win.sync_panel
    assert panel.label.isVisible() and panel.button.isVisible()
    assert "en attente : 1" in panel.label.text() and "conflits : 0" in panel.label.text()
    from desktop.ui.main_window import CONFLICTS_ROW
    assert not win.nav.item(CONFLICTS_ROW).isHidden()

    panel.button.click()                                   # «Synchroniser», in the background
    qtbot.waitUntil(lambda: not panel.running, timeout=30000)
    assert "Synchronisé : 1 acquittées, 1 nouveaux conflits" in win.statusBar().currentMessage()
    assert "en attente : 0" in panel.label.text() and "conflits : 1" in panel.label.text()
    _shot(win, "sync-status-fr.png")

    win.nav.setCurrentRow(CONFLICTS_ROW)
    page = win.built[CONFLICTS_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and not page.loading, timeout=20000)
    assert page.keep_hub.isVisible() and page.take_device.isVisible()   # the coordinator resolves
    page.table.setCurrentCell(0, 0)
    assert page.hub_value.toPlainText() == "Café Anfa (nouveau nom)"
    assert page.device_value.toPlainText() == "Café de la Corniche"
    assert page.table.item(0, 2).text() == "name" and page.table.item(0, 1).text() == "Sites"
    _shot(win, "conflicts-fr.png")
    page.take_device.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0 or bool(errors_shown), timeout=20000)
    assert errors_shown == []
    assert list_conflicts(team.pg_url) == []
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT name FROM site WHERE id = %s", (team.sites[0],)).fetchone()[0] == "Café de la Corniche"
    win.close()
    win.session.commune.close()


def test_arabic_conflicts_page(qtbot, clash, tmp_path, errors_shown):
    team, hub, (first, second) = clash
    netsync.sync_now(second)
    win = _window(qtbot, second, "ar", tmp_path)
    from desktop.ui.main_window import CONFLICTS_ROW
    assert win.sync_panel.button.text() == "مزامنة" and win.nav.item(CONFLICTS_ROW).text() == "التعارضات"
    win.nav.setCurrentRow(CONFLICTS_ROW)
    page = win.built[CONFLICTS_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and not page.loading, timeout=20000)
    page.table.setCurrentCell(0, 0)
    assert page.keep_hub.isEnabled() and page.keep_hub.text() == "الاحتفاظ بقيمة الخادم" and page.table.item(0, 1).text() == "المواقع"
    _shot(win, "conflicts-ar.png")
    page.keep_hub.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0 or bool(errors_shown), timeout=20000)
    assert errors_shown == []
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT name FROM site WHERE id = %s", (team.sites[0],)).fetchone()[0] == \
            "Café Anfa (nouveau nom)"
    win.close()
    win.session.commune.close()


def test_a_hub_down_is_a_message_and_the_work_stays_pending(qtbot, clash, tmp_path, errors_shown):
    team, hub, (first, second) = clash
    shown = errors_shown
    win = _window(qtbot, second, "fr", tmp_path)
    hub.stop()
    win.sync_panel.run()
    qtbot.waitUntil(lambda: not win.sync_panel.running, timeout=30000)
    assert [e.key for e in shown] == ["net.unreachable"]
    assert "en attente : 1" in win.sync_panel.label.text()
    win.close()
    win.session.commune.close()
    hub.start()


def test_a_cancelled_sync_sends_nothing(clash):
    team, hub, (first, second) = clash
    job = Job()
    job.cancel()
    with pytest.raises(Cancelled):
        netsync.sync_now(second, job)
    with open_commune(second) as c:
        assert sync.status(c)["pending"] == 1
