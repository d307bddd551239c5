"""The sync in the GUI, against a real hub server: the state in the status bar, «Synchroniser» in
the background, and the coordinator's Conflits page resolving a real clash at the hub."""
import os
from pathlib import Path

import psycopg
from PySide6.QtCore import Qt
import pytest

from desktop.domain.complaints import device_code
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


def _window(qtbot, path: Path, lang: str, tmp_path, username: str = "coord"):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    commune = open_commune(path)
    commune.user = get_user(commune.store, commune.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,)))
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
    for module in ("desktop.ui.sync_panel", "desktop.ui.conflicts_page", "desktop.ui.devices_page"):
        monkeypatch.setattr(f"{module}.show_error", lambda parent, exc, tr: shown.append(exc))
    return shown


def test_status_bar_sync_and_conflicts_page(qtbot, clash, tmp_path, errors_shown):
    team, hub, (first, second) = clash
    win = _window(qtbot, second, "fr", tmp_path)
    panel = win.sync_panel
    assert panel.label.isVisible() and panel.button.isVisible()
    # the state in words a clerk reads: when it last synced, what is still to send
    assert panel.label.text().startswith("Dernière synchro : ")
    assert "à envoyer : 1" in panel.label.text() and panel.label.text().endswith("conflits au serveur : 0")
    assert f"code \u2066{device_code(panel.state['device_id'])}\u2069" in panel.label.toolTip()  # as «Appareils» names it
    from desktop.ui.main_window import CONFLICTS_ROW
    assert not win.nav.item(CONFLICTS_ROW).isHidden()

    panel.button.click()                                   # «Synchroniser», in the background
    qtbot.waitUntil(lambda: not panel.running, timeout=30000)
    message = win.statusBar().currentMessage()  # no «1 acquittées»: counts after a colon, no noun to agree
    assert message == "Synchronisé — envoyées : 1 · reçues : 1 · nouveaux conflits : 1"
    assert win.statusBar().fontMetrics().horizontalAdvance(message) < win.user_label.x()  # not cut at 1280 px
    # the coordinator's count: the hub's queue he works on the Conflits page, not only his own ops'
    assert "à envoyer : 0" in panel.label.text() and panel.label.text().endswith("conflits au serveur : 1")
    _shot(win, "sync-status-fr.png")

    win.nav.setCurrentRow(CONFLICTS_ROW)
    page = win.built[CONFLICTS_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and not page.loading, timeout=20000)
    assert page.keep_hub.isVisible() and page.take_device.isVisible()   # the coordinator resolves
    page.table.setCurrentCell(0, 0)
    assert page.hub_value.toPlainText() == "Café Anfa (nouveau nom)"
    assert page.device_value.toPlainText() == "Café de la Corniche"
    assert page.table.item(0, 2).text() == "Nom" and page.table.item(0, 1).text() == "Sites"  # the form's word, not the column's
    name = win.session.store.scalar("SELECT name FROM site WHERE id = ?", (team.sites[0],))
    assert page.reason.text().startswith(f"Sites « {name} » · Nom — ")  # which site, not only «Sites»
    sender = f"Envoyé par \u2066coord\u2069, appareil \u2066{device_code(panel.state['device_id'])}\u2069"
    assert page.reason.text().endswith(sender)  # who sent the device's value: this station, by its code
    _shot(win, "conflicts-fr.png")
    page.take_device.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0 or bool(errors_shown), timeout=20000)
    assert errors_shown == []
    assert list_conflicts(team.pg_url) == []
    assert page.reason.text() == "Aucun conflit."  # an empty list says so
    qtbot.waitUntil(lambda: panel.label.text().endswith("conflits au serveur : 0"), timeout=5000)  # the queue, read again
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
    assert win.sync_panel.label.text().startswith("آخر مزامنة: ") and "في انتظار الإرسال: 0" in win.sync_panel.label.text()
    win.nav.setCurrentRow(CONFLICTS_ROW)
    page = win.built[CONFLICTS_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 and not page.loading, timeout=20000)
    page.table.setCurrentCell(0, 0)
    assert page.keep_hub.isEnabled() and page.keep_hub.text() == "الاحتفاظ بقيمة الخادم" and page.table.item(0, 1).text() == "المواقع"
    assert page.reason.text().startswith("المواقع: \u2066Café")  # the site's Latin name isolated left to right
    assert page.reason.text().endswith(f"أرسله \u2066coord\u2069 من الجهاز \u2066{device_code(win.sync_panel.state['device_id'])}\u2069")
    _shot(win, "conflicts-ar.png")
    page.keep_hub.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 0 or bool(errors_shown), timeout=20000)
    assert errors_shown == []
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT name FROM site WHERE id = %s", (team.sites[0],)).fetchone()[0] == \
            "Café Anfa (nouveau nom)"
    assert page.reason.text() == "لا يوجد أي تعارض."
    win.close()
    win.session.commune.close()


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_case_opened_twice_offline_is_merged_from_the_conflicts_page(qtbot, clash, tmp_path, errors_shown,
                                                                        catalogue, lang):
    """Two tablets opened a case on the same site offline: on the coordinator's «Conflits» the
    clash reads as a case opened twice, its buttons say «merge» and «keep both», and «merge»
    leaves one open case at the hub."""
    from tests.builders import make_inspection
    from tests.desktop.hub.helpers import device, new_device, push
    team, hub, (first, second) = clash
    tablets = [new_device(team, tmp_path, "agent1", f"tablet{n}") for n in (1, 2)]
    for path, code in zip(tablets, ("HYG-01", "HYG-02")):
        with device(path, "agent1") as c:
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene", findings=[code])
    for path in tablets:
        push(path, team.pg_url)
    netsync.sync_now(second)  # the renamed site's clash too: two rows on the page
    win = _window(qtbot, second, lang, tmp_path)
    from desktop.ui.main_window import CONFLICTS_ROW
    win.nav.setCurrentRow(CONFLICTS_ROW)
    page = win.built[CONFLICTS_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 2 and not page.loading, timeout=20000)
    [twin] = [n for n, r in enumerate(page.rows) if r["kind"] == "duplicate_case"]
    page.table.setCurrentCell(twin, 0)
    tr = win.session.tr
    assert page.keep_hub.text() == tr("net.merge_case") and page.take_device.text() == tr("net.keep_both_cases")
    assert tr("sync.reason.case_duplicate") in page.reason.text()
    field = win.session.catalogue.field("hygiene").label(lang)
    for box, code, value in ((page.hub_value, "HYG-01", page.rows[twin]["hub_value"]),
                             (page.device_value, "HYG-02", page.rows[twin]["device_value"])):  # the cases, not their ids
        assert field in box.toPlainText() and code in box.toPlainText() and "case_id" not in box.toPlainText()
        # the date and the codes isolated left to right: in Arabic they read as in French
        assert f"\u2066{value['opened_on']}\u2069" in box.toPlainText() and f"\u2066{code}\u2069" in box.toPlainText()
    # at 1280 px the case's long text is cut short, not the device's value and the state behind a
    # sideways scroll; the whole text on hover
    qtbot.waitUntil(lambda: page.table.viewport().width() > 0)
    assert page.table.horizontalScrollBar().maximum() == 0
    assert "HYG-01" in page.table.item(twin, 4).toolTip() and "HYG-02" in page.table.item(twin, 5).toolTip()
    _shot(win, f"conflicts-duplicate-case-{lang}.png")
    page.keep_hub.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 1 or bool(errors_shown), timeout=20000)
    assert errors_shown == []
    page.table.setCurrentCell(0, 0)
    assert page.keep_hub.text() == tr("net.keep_hub")  # the remaining clash is a plain one again
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM case_file WHERE site_id = %s AND status = 'open'",
                            (team.sites[0],)).fetchone()[0] == 1
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
    assert "à envoyer : 1" in win.sync_panel.label.text()
    win.close()
    win.session.commune.close()
    hub.start()


def _officers_tablet(team, hub, tmp_path):
    """agent1's tablet, enrolled, with one change not sent yet (it is lost: it will be revoked)."""
    tablet = tmp_path / "tablet.sqlite"
    netsync.enroll_device(tablet, hub.url, "agent1", PASSWORD, encrypt=False)
    with open_commune(tablet) as c:
        agent = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = 'agent1'"))
        with c.store.transaction(agent.id) as tx:
            tx.update("site", team.sites[0], {"address": "écrit après la perte"})
    return tablet


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_revoked_tablet_reads_that_it_is_revoked_and_what_to_do(qtbot, clash, tmp_path, errors_shown, lang):
    """The officer of a tablet the coordinator revoked presses «Synchroniser»: he reads that this
    device is revoked and to see the coordinator, not the hub's words for the coordinator (the
    device's id, its «lot» quarantined)."""
    from desktop.services.messages import message_for
    team, hub, (first, second) = clash
    tablet = _officers_tablet(team, hub, tmp_path)
    [lost] = [d["device_id"] for d in netsync.hub_devices(first) if d["username"] == "agent1"]
    netsync.revoke_hub_device(first, lost)
    win = _window(qtbot, tablet, lang, tmp_path, "agent1")
    win.sync_panel.run()
    qtbot.waitUntil(lambda: not win.sync_panel.running, timeout=30000)
    assert [e.key for e in errors_shown] == ["net.device_revoked"]
    text = message_for(errors_shown[0], win.session.tr)
    assert lost not in text and ("coordinateur" in text if lang == "fr" else "المنسق" in text)
    win.close()
    win.session.commune.close()


def test_a_cancelled_sync_sends_nothing(clash):
    team, hub, (first, second) = clash
    job = Job()
    job.cancel()
    with pytest.raises(Cancelled):
        netsync.sync_now(second, job)
    with open_commune(second) as c:
        assert sync.status(c)["pending"] == 1


def test_the_coordinator_revokes_a_lost_tablet_from_the_devices_page(qtbot, clash, tmp_path, errors_shown,
                                                                   monkeypatch):
    """A real officer's tablet, lost: the coordinator revokes it on «Appareils»; the tablet's next
    sync is refused, what it pushes is quarantined, and the coordinator cannot revoke himself."""
    from PySide6.QtWidgets import QMessageBox

    from desktop.domain.errors import Refusal
    from desktop.ui.main_window import DEVICES_ROW
    team, hub, (first, second) = clash
    tablet = _officers_tablet(team, hub, tmp_path)
    win = _window(qtbot, first, "fr", tmp_path)
    assert not win.nav.item(DEVICES_ROW).isHidden() and win.nav.item(DEVICES_ROW).text() == "Appareils"
    win.nav.setCurrentRow(DEVICES_ROW)
    page = win.built[DEVICES_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 3 and not page.loading, timeout=20000)
    users = [page.table.item(n, 0).text().strip("\u2066\u2069") for n in range(3)]
    assert sorted(users) == ["agent1", "coord", "coord"]
    own = next(n for n, r in enumerate(page.rows) if r["device_id"] == page.own_device)
    page.table.setCurrentCell(own, 0)
    assert "cet appareil" in page.table.item(own, 6).text() and not page.revoke_button.isEnabled()
    # the coordinator's two stations, enrolled the same minute, told apart by their code; the
    # whole id below the list (for «hub export --device»)
    codes = [page.table.item(n, 1).text().strip("\u2066\u2069") for n in range(3)]
    assert len(set(codes)) == 3 and all(len(code) == 4 for code in codes)
    assert page.own_device in page.detail.text()
    lost = users.index("agent1")
    page.table.setCurrentCell(lost, 0)
    assert page.revoke_button.isEnabled()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.No)
    page.revoke_button.click()                        # «Non»: nothing revoked
    assert "agent1" in asked[0] and "définitif" in asked[0] and codes[lost] in asked[0]
    assert [d["status"] for d in netsync.hub_devices(first) if d["username"] == "agent1"] == ["active"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    page.revoke_button.click()
    qtbot.waitUntil(lambda: not page.loading and page.rows[lost]["status"] == "revoked" or bool(errors_shown),
                    timeout=20000)
    assert errors_shown == [] and page.table.item(lost, 6).text() == "Révoqué"
    assert not page.revoke_button.isEnabled()
    with pytest.raises(Refusal) as refused:                # the lost tablet, from its next request on
        netsync.sync_now(tablet)
    assert refused.value.key in ("net.device_revoked", "sync.device_revoked")
    with psycopg.connect(team.pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM hub_quarantine").fetchone()[0] == 1
        assert conn.execute("SELECT address FROM site WHERE id = %s", (team.sites[0],)).fetchone()[0] \
            != "écrit après la perte"
    page.refresh()
    qtbot.waitUntil(lambda: not page.loading, timeout=20000)
    page.table.setCurrentCell(lost, 0)
    assert "retenus pour examen sans rien appliquer : 1" in page.detail.text()
    with pytest.raises(Refusal) as own_refused:            # his own station: refused at the hub too
        netsync.revoke_hub_device(first, page.own_device)
    assert own_refused.value.key == "net.revoke_own_device"
    other = tmp_path / "other-tablet.sqlite"                # an officer manages no device
    netsync.enroll_device(other, hub.url, "agent2", PASSWORD, encrypt=False)
    for call in (lambda: netsync.hub_devices(other), lambda: netsync.revoke_hub_device(other, page.own_device)):
        with pytest.raises(Refusal) as not_his:
            call()
        assert not_his.value.key == "net.not_coordinator"
    _shot(win, "devices-fr.png")
    win.close()
    win.session.commune.close()


def test_arabic_devices_page(qtbot, clash, tmp_path, errors_shown):
    from desktop.ui.main_window import DEVICES_ROW
    team, hub, (first, second) = clash
    win = _window(qtbot, first, "ar", tmp_path)
    assert win.nav.item(DEVICES_ROW).text() == "الأجهزة"
    win.nav.setCurrentRow(DEVICES_ROW)
    page = win.built[DEVICES_ROW]
    qtbot.waitUntil(lambda: page.table.rowCount() == 2 and not page.loading, timeout=20000)
    assert errors_shown == [] and page.layoutDirection() == Qt.RightToLeft
    assert page.table.horizontalHeaderItem(0).text() == "المستخدم"
    assert {page.table.item(n, 6).text() for n in range(2)} == {"نشط", "نشط (هذا الجهاز)"}
    assert page.table.item(0, 3).text() == "الجماعة كلها" and page.revoke_button.text() == "إلغاء الجهاز…"
    _shot(win, "devices-ar.png")
    win.close()
    win.session.commune.close()
