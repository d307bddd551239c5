"""The USB stick in the GUI (a tablet where there is no network): «Exporter vers une clé USB…»
writes the pending ops to a signed file that the hub ingests, «Importer depuis une clé USB…» reads
the hub's file back (receipts, rows); a damaged file is a message and changes nothing."""
import os
from pathlib import Path

import pytest

from desktop.domain.bundle import split
from desktop.hub import export_for_device, ingest
from desktop.i18n import Translator
from desktop.services import sync
from desktop.services.commune import open_commune
from desktop.settings import Settings
from desktop.store.users import get_user
from tests.builders import make_inspection
from tests.desktop.hub.helpers import device, make_team, new_device

pytestmark = pytest.mark.gui
SHOTS = os.environ.get("COMMUNE_POLICE_SHOTS")  # a folder: the File menu grabbed there to look at


def _menu_shot(qtbot, win, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        menu = win.menuBar().actions()[0].menu()
        menu.popup(win.mapToGlobal(win.menuBar().pos()))
        qtbot.wait(200)
        menu.grab().save(str(Path(SHOTS) / name))
        menu.close()


@pytest.fixture
def errors_shown(monkeypatch):
    shown = []
    monkeypatch.setattr("desktop.ui.sync_panel.show_error", lambda parent, exc, tr: shown.append(exc))
    return shown


def _window(qtbot, path, lang, tmp_path, username):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    commune = open_commune(path)
    commune.user = get_user(commune.store, commune.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,)))
    win = MainWindow(Session(commune, Translator(lang), Settings(tmp_path / f"settings-{lang}.json")))
    qtbot.addWidget(win)
    win.resize(1280, 760)
    win.show()
    return win


def _file_menu(win) -> list[str]:
    return [a.objectName() or a.text() for a in win.menuBar().actions()[0].menu().actions()]


def _choose(monkeypatch, kind: str, path) -> None:
    monkeypatch.setattr(f"desktop.ui.sync_panel.QFileDialog.{kind}", lambda *args, **kw: (str(path), ""))


def test_a_tablet_syncs_by_usb_stick_from_the_file_menu(qtbot, tmp_path, empty_commune_path, pg_url, catalogue,
                                                        monkeypatch, errors_shown):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")  # enrolled at the town hall; no network in the field
    with device(tablet, "agent1") as c:
        inspection = make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                                     findings=["HYG-01"])
        pending, device_id = sync.status(c)["pending"], sync.status(c)["device_id"]
    win = _window(qtbot, tablet, "fr", tmp_path, "agent1")
    panel = win.sync_panel
    menu = _file_menu(win)
    assert menu[:2] == ["usb_export", "usb_import"] and "Synchroniser" not in menu  # no hub address: the stick only
    assert panel.usb_export.text() == "Exporter vers une clé USB…"
    _menu_shot(qtbot, win, "usb-menu-fr.png")

    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "tablette.bundle"
    _choose(monkeypatch, "getSaveFileName", out)
    panel.usb_export.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=20000)
    assert errors_shown == [] and out.exists() and not (stick / "tablette.bundle.part").exists()
    assert win.statusBar().currentMessage().startswith(f"{pending} opérations écrites dans ")
    assert "à envoyer : " + str(pending) in panel.label.text()  # still to send until the hub's receipt

    for part in split(out.read_bytes()):  # at the town hall: ``hub import``, then ``hub export``
        ingest(pg_url, part)
    back = stick / "retour.bundle"
    back.write_bytes(export_for_device(pg_url, device_id))

    damaged = stick / "abime.bundle"
    damaged.write_bytes(back.read_bytes()[:-200])
    _choose(monkeypatch, "getOpenFileName", damaged)
    panel.usb_import.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=20000)
    assert len(errors_shown) == 1 and "à envoyer : " + str(pending) in panel.label.text()  # nothing changed

    _choose(monkeypatch, "getOpenFileName", back)
    panel.usb_import.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=20000)
    assert len(errors_shown) == 1
    assert win.statusBar().currentMessage().startswith(f"Synchronisé — envoyées : {pending} · reçues : ")
    assert "à envoyer : 0" in panel.label.text()
    win.close()
    win.session.commune.close()
    with open_commune(tablet) as c:
        assert sync.status(c)["pending"] == 0
        assert c.store.scalar("SELECT count(*) FROM inspection WHERE id = ?", (inspection,)) == 1


def test_arabic_usb_actions(qtbot, tmp_path, empty_commune_path, pg_url, monkeypatch, errors_shown):
    team = make_team(tmp_path, empty_commune_path, pg_url)
    tablet = new_device(team, tmp_path, "agent1")
    win = _window(qtbot, tablet, "ar", tmp_path, "agent1")
    panel = win.sync_panel
    # (a right-to-left mark before the ellipsis: it ends the Arabic sentence, at its left, not after «USB»)
    assert panel.usb_export.text() == "تصدير إلى مفتاح USB\u200f…" and panel.usb_import.text() == "استيراد من مفتاح USB\u200f…"
    _menu_shot(qtbot, win, "usb-menu-ar.png")
    _choose(monkeypatch, "getSaveFileName", tmp_path / "no-such-folder" / "x.bundle")  # a stick pulled out
    panel.usb_export.trigger()
    qtbot.waitUntil(lambda: not panel.running, timeout=20000)
    assert [e.key for e in errors_shown] == ["sync.cannot_write"]
    win.close()
    win.session.commune.close()
