"""Accounts in daily use: disable and enable, change a role or arrondissement, change my own
password, log out and let someone else log in."""
import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from desktop.domain.auth import PermissionDenied
from desktop.services import accounts
from desktop.services.commune import Commune
from desktop.store.users import authenticate, list_users
from desktop.ui.admin_dialog import AdminDialog


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: seen.append(a[2]))
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: seen.append(a[2]))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    return seen


def select(dialog, username):
    row = next(r for r, u in enumerate(dialog.user_rows) if u.username == username)
    dialog.users_table.selectRow(row)


def test_a_disabled_officer_cannot_log_in_until_enabled_again(qtbot, make_session, store, warnings):
    dialog = AdminDialog(make_session(authenticate(store, "admin", "admin-demo")))
    qtbot.addWidget(dialog)
    select(dialog, "agent001")
    assert dialog.toggle_button.text() == dialog.tr("adm.disable")
    assert dialog.toggle_active(confirm=False)
    assert authenticate(store, "agent001", "agent-demo") is None
    assert "agent001" not in {u.username for u in list_users(store)}  # no longer offered as a brigade member
    select(dialog, "agent001")  # still listed, marked disabled
    assert dialog.toggle_button.text() == dialog.tr("adm.enable")
    assert dialog.users_table.item(dialog.users_table.currentRow(), 4).text() == dialog.tr("adm.state_disabled")
    assert dialog.toggle_active(confirm=False)
    assert authenticate(store, "agent001", "agent-demo") is not None
    # The journal keeps who did it.
    assert store.scalar("SELECT count(*) FROM journal WHERE entity = 'user' AND op = 'update'") >= 2


def test_administrator_cannot_disable_himself_nor_demote_the_last_administrator(qtbot, make_session, store, warnings):
    dialog = AdminDialog(make_session(authenticate(store, "admin", "admin-demo")))
    qtbot.addWidget(dialog)
    select(dialog, "admin")
    assert not dialog.toggle_active(confirm=False)
    assert warnings and "propre compte" in warnings[-1]
    select(dialog, "admin")
    assert not dialog.edit_role(("officer", None))
    assert "dernier compte administrateur" in warnings[-1]
    assert authenticate(store, "admin", "admin-demo").role == "administrator"


def test_role_and_arrondissement_change(qtbot, make_session, store, warnings):
    dialog = AdminDialog(make_session(authenticate(store, "admin", "admin-demo")))
    qtbot.addWidget(dialog)
    district = store.scalar("SELECT id FROM district WHERE name_fr = 'Anfa'")
    select(dialog, "agent002")
    assert dialog.edit_role(("coordinator", district))
    user = authenticate(store, "agent002", "agent-demo")
    assert (user.role, user.district_id) == ("coordinator", district)
    assert not warnings


def test_only_an_administrator_manages_accounts(store, catalogue):
    officer = authenticate(store, "agent003", "agent-demo")
    commune = Commune(store.path, store, catalogue, user=officer)
    with pytest.raises(PermissionDenied):
        accounts.set_active(commune, "agent004", False)
    with pytest.raises(PermissionDenied):
        accounts.set_role(commune, "agent003", "administrator")
    assert authenticate(store, "agent004", "agent-demo") is not None
    assert authenticate(store, "agent003", "agent-demo").role == "officer"


def test_anyone_changes_his_own_password(qtbot, make_session, store, warnings):
    from desktop.ui.main_window import MainWindow
    window = MainWindow(make_session(authenticate(store, "agent005", "agent-demo")))
    qtbot.addWidget(window)
    assert not window.change_my_password(("faux", "nouveau-mdp-1", "nouveau-mdp-1"))
    assert "actuel est incorrect" in warnings[-1]
    assert not window.change_my_password(("agent-demo", "nouveau-mdp-1", "autre-chose-2"))
    assert not window.change_my_password(("agent-demo", "court", "court"))
    assert authenticate(store, "agent005", "agent-demo") is not None  # unchanged so far
    assert window.change_my_password(("agent-demo", "nouveau-mdp-1", "nouveau-mdp-1"))
    assert authenticate(store, "agent005", "agent-demo") is None
    assert authenticate(store, "agent005", "nouveau-mdp-1") is not None


def test_log_out_brings_the_login_back_for_another_user(qtbot, qapp, store, catalogue, tmp_path, monkeypatch):
    from desktop.settings import Settings
    from desktop.ui import app as app_module
    from desktop.ui.login import LoginDialog
    commune = Commune(store.path, store, catalogue)
    settings = Settings(tmp_path / "settings.json")
    settings["language"] = "fr"

    class FakeLogin:
        def __init__(self, user):
            self.user, self.tr = user, None
    first = FakeLogin(authenticate(store, "agent001", "agent-demo"))
    from desktop.i18n import Translator
    first.tr = Translator("fr")
    window = app_module.open_main_window(qapp, settings, commune, first)
    qtbot.addWidget(window)
    assert window.session.user.username == "agent001"

    def next_login(dialog):
        dialog.user = authenticate(store, "coordinateur", "coord-demo")
        return QDialog.Accepted
    monkeypatch.setattr(LoginDialog, "exec", next_login)
    window.logout_requested.emit()
    new = qapp._main_window
    qtbot.addWidget(new)
    assert new is not window and new.session.user.username == "coordinateur" and new.isVisible()
    assert not window.isVisible()
    with pytest.raises(PermissionDenied):  # the coordinator's rights, not the officer's nor the admin's
        accounts.set_active(Commune(store.path, store, catalogue, user=new.session.user), "agent001", False)
