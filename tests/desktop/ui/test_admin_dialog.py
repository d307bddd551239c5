"""Accounts and delegations managed in the GUI."""
from datetime import date

from desktop.store.users import authenticate
from desktop.ui.admin_dialog import AdminDialog


def test_administrator_adds_an_account(qtbot, make_session, store, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    dialog = AdminDialog(make_session(authenticate(store, "admin", "admin-demo")))
    qtbot.addWidget(dialog)
    assert dialog.tabs.count() == 1  # accounts only: no signing power for the administrator (review H3)
    user_id = dialog.add_user({"username": "Agent500", "password": "motdepasse-5", "role": "officer",
                               "name_fr": "Test Agent", "district_id": None})
    assert user_id and authenticate(store, "agent500", "motdepasse-5").role == "officer"
    row = next(r for r, u in enumerate(dialog.user_rows) if u.username == "agent500")
    dialog.users_table.selectRow(row)
    assert not dialog.set_password("court") and "8 caractères" in warnings[-1]
    assert dialog.set_password("encore-autre-1") and authenticate(store, "agent500", "encore-autre-1")


def test_president_records_and_withdraws_a_delegation(qtbot, make_session, store):
    dialog = AdminDialog(make_session(authenticate(store, "president", "president-demo")))
    qtbot.addWidget(dialog)
    assert dialog.tabs.count() == 1  # delegations only: the president does not manage accounts
    coordinator = store.scalar("SELECT id FROM [user] WHERE username = 'coordinateur'")
    district = store.scalar("SELECT id FROM district LIMIT 1")  # art. 236: the delegate's arrondissement
    delegation_id = dialog.add_delegation({"delegate_id": coordinator, "number": "9/2026", "decided_on": date(2026, 3, 1),
                                           "district_id": district, "bo_number": "52", "bo_date": date(2026, 3, 20),
                                           "basis": "art236", "fields": ["urbanism"], "scope_ar": "التعمير",
                                           "scope_fr": "urbanisme", "capacity_ar": "رئيس مقاطعة", "capacity_fr": "Président d'arrondissement"})
    assert delegation_id and dialog.delegations_table.rowCount() == 2
    dialog.delegations_table.selectRow(1)
    assert dialog.withdraw("Fin de mandat du président d'arrondissement")
    assert store.scalar("SELECT withdrawn_on FROM delegation WHERE id = ?", (delegation_id,)) == date.today().isoformat()


def test_the_selected_account_is_the_one_changed(qtbot, make_session, store):
    """The selection decides, not the current cell (in a right-to-left table a selected row can
    have no current cell)."""
    from PySide6.QtCore import QItemSelectionModel
    dialog = AdminDialog(make_session(authenticate(store, "admin", "admin-demo"), lang="ar"))
    qtbot.addWidget(dialog)
    table = dialog.users_table
    row = next(r for r, u in enumerate(dialog.user_rows) if u.username == "coordinateur")
    table.selectionModel().select(table.model().index(row, 0),
                                  QItemSelectionModel.Select | QItemSelectionModel.Rows)
    assert table.currentRow() == -1
    assert dialog.set_password("encore-autre-2") and authenticate(store, "coordinateur", "encore-autre-2")


def test_president_revokes_a_certificate_and_the_accounts_list_shows_it(qtbot, make_session, store, tmp_path):
    president = make_session(authenticate(store, "president", "president-demo"))
    dialog = AdminDialog(president)
    qtbot.addWidget(dialog)
    assert dialog.revocations_table.rowCount() == 0
    assert dialog.revoke_certificate(("vicepresident", "Fin de mandat du premier vice-président"))
    assert dialog.revocations_table.rowCount() == 1
    assert dialog.revocations_table.item(0, 1).text() == "vicepresident"
    dialog.grab().save(str(tmp_path / "revocations.png"))
    admin = AdminDialog(make_session(authenticate(store, "admin", "admin-demo")))
    qtbot.addWidget(admin)
    states = {u.username: admin.users_table.item(r, 5).text() for r, u in enumerate(admin.user_rows)}
    assert states["vicepresident"] == f"révoqué depuis le \u2066{date.today().isoformat()}\u2069"  # (read as is in Arabic)
    assert states["president"].endswith("…") and states["agent001"] == "—"


def test_a_reset_password_is_said_at_login_and_changed(qtbot, make_session, store, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    from desktop.services.accounts import set_password
    from desktop.ui.main_window import MainWindow
    admin = make_session(authenticate(store, "admin", "admin-demo"))
    set_password(admin.commune, "president", "remise-a-zero-1")
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: said.append(a[2]))
    monkeypatch.setattr(QMessageBox, "information", lambda *a: None)
    window = MainWindow(make_session(authenticate(store, "president", "remise-a-zero-1")))
    qtbot.addWidget(window)
    assert window.password_reset_notice(("remise-a-zero-1", "le-mien-2026", "le-mien-2026"))
    assert said and "réinitialisé par admin" in said[0] and "changer maintenant" in said[0]
    assert authenticate(store, "president", "le-mien-2026")
    assert not window.password_reset_notice()  # once changed, nothing more is said
