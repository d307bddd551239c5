"""The first-start dialog: create a commune, join the commune's hub, open the demo, or quit; the
snapshot hook."""
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox

from desktop.services import first_start
from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.store.db import open_store
from desktop.store.users import authenticate
from desktop.ui.first_start_dialog import FirstStartDialog, choose_database
from desktop.ui.qt_translations import install_qt_translations
from desktop.ui.snapshot import watch_first_paint


@pytest.fixture
def user_folders(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(first_start.SNAPSHOT_ENV, raising=False)
    return tmp_path


@pytest.fixture
def dialog(qtbot, user_folders):
    dlg = FirstStartDialog(Translator("fr"), Settings(user_folders / "settings.json"), demo_inspections=150)
    qtbot.addWidget(dlg)
    return dlg


def test_offers_three_ways_and_switches_language(dialog):
    assert [b.text() for b in (dialog.create_button, dialog.demo_button, dialog.open_button)] == [
        "Créer la base de ma commune", "Ouvrir la commune de démonstration", "Ouvrir une base existante…"]
    assert str(first_start.data_dir()) in dialog.where.text()
    dialog.language.setCurrentIndex(dialog.language.findData("ar"))
    assert dialog.layoutDirection() == Qt.RightToLeft
    assert dialog.create_button.text() == "إنشاء قاعدة بيانات جماعتي"
    assert dialog.settings["language"] == "ar"


def test_creating_a_commune_checks_the_form_then_makes_the_database(qtbot, dialog):
    qtbot.mouseClick(dialog.create_button, Qt.LeftButton)
    assert dialog.pages.currentIndex() == 1
    qtbot.keyClicks(dialog.name_fr, "Commune de Test")
    qtbot.keyClicks(dialog.password, "court")
    dialog.create()
    assert "arabe" in dialog.problem.text() and "8 caractères" in dialog.problem.text()
    assert dialog.result() != QDialog.Accepted and not first_start.default_db().exists()
    dialog.name_ar.setText("جماعة الاختبار")  # (keyClicks types ASCII only)
    dialog.password.setText("mot-de-passe-1")
    dialog.password_again.setText("mot-de-passe-2")
    dialog.create()
    assert dialog.problem.text() == "Les deux mots de passe diffèrent."
    dialog.password_again.setText("mot-de-passe-1")
    dialog.create()
    assert dialog.result() == QDialog.Accepted and dialog.chosen == first_start.default_db()
    with open_store(dialog.chosen, readonly=True) as store:
        assert authenticate(store, "admin", "mot-de-passe-1").role == "administrator"
        assert store.scalar("SELECT name_ar FROM commune") == "جماعة الاختبار"


def test_back_returns_to_the_choice(qtbot, dialog):
    qtbot.mouseClick(dialog.create_button, Qt.LeftButton)
    dialog.create_buttons.rejected.emit()
    assert dialog.pages.currentIndex() == 0


def test_demo_is_built_once_in_the_background(qtbot, dialog):
    qtbot.mouseClick(dialog.demo_button, Qt.LeftButton)
    assert not dialog.isEnabled()  # busy while the demo is built off the GUI thread
    qtbot.waitUntil(lambda: dialog.result() == QDialog.Accepted, timeout=120_000)
    assert dialog.chosen == first_start.demo_db()
    with open_store(dialog.chosen, readonly=True) as store:
        assert store.is_demo and store.scalar("SELECT count(*) FROM inspection") == 150
    built = dialog.chosen.stat().st_mtime_ns
    again = FirstStartDialog(Translator("fr"), dialog.settings, demo_inspections=150)
    qtbot.addWidget(again)
    again.open_demo()  # already there: opened at once, not rebuilt
    assert again.result() == QDialog.Accepted and again.chosen.stat().st_mtime_ns == built


def test_remembered_database_opens_without_the_dialog(qtbot, user_folders):
    path = user_folders / "elsewhere" / "commune.sqlite"
    first_start.create_commune(path, first_start.NewCommune("ج", "C", password="12345678",
                                                            password_again="12345678"))
    settings = Settings()
    settings["last_db"] = str(path)
    settings.save()
    assert choose_database(QApplication.instance()) == path


def test_snapshot_saves_the_first_window_and_closes_it(qtbot, dialog, tmp_path):
    shot = tmp_path / "shots" / "first.png"
    assert watch_first_paint(dialog, shot)
    dialog.show()
    qtbot.waitUntil(lambda: shot.exists() and dialog.result() == QDialog.Rejected, timeout=10_000)
    image = QImage(str(shot))
    assert image.width() >= dialog.minimumWidth() and not image.isNull()


def test_snapshot_is_off_unless_asked(dialog):
    assert watch_first_paint(dialog) is False


def test_qt_standard_texts_follow_the_language(qapp):
    try:
        assert install_qt_translations(qapp, "fr")
        assert QApplication.translate("QPlatformTheme", "Cancel") == "Annuler"
        assert install_qt_translations(qapp, "ar")
        assert QApplication.translate("QPlatformTheme", "Cancel") == "ألغِ"  # Qt's own wording
    finally:
        install_qt_translations(qapp, "xx")  # none: back to Qt's English
    assert QApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_run_gui_snapshots_the_login_when_asked(qtbot, demo_path, user_folders, monkeypatch, capsys):
    """The hook the installer test uses: run_gui paints the login, saves it, quits cleanly."""
    import json
    import sys
    from desktop.ui.app import run_gui
    shot = user_folders / "login.png"
    monkeypatch.setenv(first_start.SNAPSHOT_ENV, str(shot))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    assert run_gui(demo_path) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["window"] == "login" and line["saved"] is True and not QImage(str(shot)).isNull()


@pytest.fixture
def https_hub(tmp_path, empty_commune_path, pg_url):
    """A commune's hub served over HTTPS with its own certificate (the loopback's address)."""
    from tests.desktop.hub.helpers import make_team
    from tests.desktop.hub.server import HubServer, self_signed
    team = make_team(tmp_path, empty_commune_path, pg_url)
    with HubServer(pg_url, tls=self_signed(tmp_path)) as server:
        yield team, server


def test_joining_the_communes_hub_shows_the_fingerprint_then_enrols_this_computer(qtbot, dialog, https_hub):
    from desktop.services import netsync, sync
    from desktop.services.commune import open_commune
    from tests.builders import PASSWORD
    team, hub = https_hub
    assert dialog.join_button.text() == "Rejoindre le serveur central de la commune"
    qtbot.mouseClick(dialog.join_button, Qt.LeftButton)
    assert dialog.pages.currentIndex() == 2
    dialog.hub_url.setText(hub.url)
    dialog.join_user.setText("agent1")
    dialog.join()
    assert dialog.join_problem.text() == "Indiquez l'adresse du serveur, votre nom d'utilisateur et votre mot de passe."
    dialog.join_password.setText("pas-le-bon")
    dialog.join()  # first the certificate: its fingerprint to compare, nothing sent yet
    qtbot.waitUntil(lambda: not dialog.fingerprint.isHidden(), timeout=10000)
    expected = netsync.hub_fingerprint(hub.url)[1]
    assert expected and expected in dialog.fingerprint.text()
    assert dialog.join_buttons.button(QDialogButtonBox.Ok).text() == "C'est la bonne empreinte : s'inscrire"
    dialog.join()  # confirmed: a wrong password is refused by the hub, nothing made here
    qtbot.waitUntil(lambda: dialog.isEnabled() and bool(dialog.join_problem.text()), timeout=20000)
    assert "mot de passe" in dialog.join_problem.text().lower() and not first_start.device_db().exists()
    assert dialog.result() != QDialog.Accepted
    dialog.join_password.setText(PASSWORD)
    dialog.join()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.Accepted, timeout=30000)
    assert dialog.chosen == first_start.device_db()
    with open_commune(dialog.chosen) as c:  # encrypted under the user's password (its key kept in this process)
        assert sync.status(c)["enrolled"] and sync.status(c)["user"]["username"] == "agent1"
        assert c.store.scalar("SELECT count(*) FROM site") == 1  # its arrondissement's slice
        assert c.store.key is not None
    from desktop.services.hubclient import fingerprint
    from desktop.services.hubconfig import HubConfig
    assert fingerprint(HubConfig.load(dialog.chosen).certificate) == expected  # the certificate seen: the one pinned


def test_a_changed_address_forgets_the_fingerprint_shown(qtbot, dialog, https_hub):
    _team, hub = https_hub
    dialog.pages.setCurrentIndex(2)
    dialog.hub_url.setText(hub.url)
    dialog.join_user.setText("agent1")
    dialog.join_password.setText("x")
    dialog.join()
    qtbot.waitUntil(lambda: not dialog.fingerprint.isHidden(), timeout=10000)
    qtbot.keyClicks(dialog.hub_url, "/")  # typed: another address, its certificate not seen
    assert dialog.fingerprint.isHidden() and dialog.certificate is None
    assert dialog.join_buttons.button(QDialogButtonBox.Ok).text() == "S'inscrire"
    dialog.language.setCurrentIndex(dialog.language.findData("ar"))
    assert dialog.join_button.text() == "الانضمام إلى الخادم المركزي للجماعة"
    assert dialog.hub_url.layoutDirection() == Qt.LeftToRight  # an address reads left to right
