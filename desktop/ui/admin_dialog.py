"""Accounts (administrator) and delegations of signature (president, administrator)."""
from __future__ import annotations

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QInputDialog, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QTabWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.auth import ROLES, can
from desktop.services import accounts, trust
from desktop.store.delegations import list_delegations
from desktop.store.users import User, create_user, get_user, list_users, set_password
from desktop.ui.widgets import ltr, set_display_format
from desktop.ui.errors import attempt, show_error
from desktop.ui.session import Session


def _selected_row(table: QTableWidget) -> int:
    """The selected row (-1 for none). Not ``currentRow()``: in a right-to-left layout selecting a
    row does not move the current cell."""
    rows = table.selectionModel().selectedRows()
    return rows[0].row() if rows else table.currentRow()


def _table(headers: list[str], rows: list[list[str]], name: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers), objectName=name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectRows)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    return table


class AdminDialog(QDialog):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        self.setObjectName("admin_dialog")
        self.setWindowTitle(self.tr("adm.title"))
        self.resize(880, 560)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self.accounts = QWidget()
        self.delegations = QWidget()
        QVBoxLayout(self.accounts)
        QVBoxLayout(self.delegations)
        if can(session.user.role, "user.manage"):
            self.tabs.addTab(self.accounts, self.tr("adm.accounts"))
        if can(session.user.role, "delegation.manage"):
            self.tabs.addTab(self.delegations, self.tr("adm.delegations"))
        self.refresh()

    # -- accounts ------------------------------------------------------------------------------
    def refresh(self) -> None:
        tr, store = self.tr, self.session.store
        for page in (self.accounts, self.delegations):
            layout = page.layout()
            while layout.count():
                item = layout.takeAt(0)
                if item.widget():
                    item.widget().deleteLater()
                elif item.layout():
                    while item.layout().count():
                        item.layout().takeAt(0).widget().deleteLater()
        listed = accounts.list_accounts(self.session.commune) if can(self.session.user.role, "user.manage") else []
        users = [User(r["id"], r["username"], r["full_name_ar"], r["full_name_fr"], r["role"], r["district_id"])
                 for r in listed]
        self.user_rows = users
        self.user_active = [bool(r["active"]) for r in listed]
        certificates = [self._certificate_state(r["cert_sha256"]) for r in listed]
        self.users_table = _table([tr("ui.username"), tr("adm.name"), tr("adm.role"), tr("ui.district"), tr("adm.active"),
                                   tr("adm.certificate")],
                                  [[u.username, u.name(tr.lang), tr.enum("role", u.role), self.session.labels.district(u.district_id)
                                    if u.district_id else "", tr("adm.state_active" if on else "adm.state_disabled"), cert]
                                   for u, on, cert in zip(users, self.user_active, certificates)], "users_table")
        for r, on in enumerate(self.user_active):
            if not on:
                for c in range(self.users_table.columnCount()):
                    self.users_table.item(r, c).setForeground(Qt.gray)
        self.accounts.layout().addWidget(self.users_table)
        row = QHBoxLayout()
        for key, slot in (("adm.add_user", self.add_user), ("adm.password", self.set_password),
                          ("adm.edit_role", self.edit_role), ("adm.disable", self.toggle_active)):
            button = QPushButton(tr(key), objectName=key.replace(".", "_"))
            button.clicked.connect(lambda _=False, s=slot: s())
            row.addWidget(button)
        self.toggle_button = button  # says "enable" when the selected account is disabled
        self.users_table.itemSelectionChanged.connect(self._selection_changed)
        self.accounts.layout().addLayout(row)
        rows = list_delegations(store)
        self.delegation_rows = rows
        self.delegations_table = _table(
            [tr("adm.number"), tr("adm.delegate"), tr("adm.basis"), tr("adm.fields"), tr("adm.validity")],
            [[d["number"], d["full_name_ar"] if tr.rtl else d["full_name_fr"], tr("adm." + d["legal_basis"]),
              ", ".join(self.session.labels.field(f) if f != "*" else "*" for f in d["scope_fields"]),
              (tr("adm.withdrawn", date=ltr(d["withdrawn_on"])) if d["withdrawn_on"] else ltr(f"{d['valid_from']} → {d['valid_to'] or '…'}"))]
             for d in rows], "delegations_table")
        self.delegations.layout().addWidget(self.delegations_table)
        row = QHBoxLayout()
        for key, slot in (("adm.add_delegation", self.add_delegation), ("adm.withdraw", self.withdraw)):
            button = QPushButton(tr(key), objectName=key.replace(".", "_"))
            button.clicked.connect(lambda _=False, s=slot: s())
            row.addWidget(button)
        self.delegations.layout().addLayout(row)
        self._revocations()

    def _certificate_state(self, sha: str | None) -> str:
        """The account's signing certificate: none, its fingerprint, or revoked since a date."""
        if not sha:
            return "—"
        revoked = trust.revocation(self.session.store, sha)
        if revoked is not None:
            return self.tr("adm.cert_revoked", date=ltr(revoked["revoked_on"]))
        return f"{sha[:12]}…"

    def _revocations(self) -> None:
        """The president's list of revoked signing certificates, and revoking one."""
        tr = self.tr
        rows = trust.revocations(self.session.store)
        self.revocations_table = _table(
            [tr("adm.revoked_on"), tr("ui.username"), tr("adm.certificate"), tr("adm.reason")],
            [[r["revoked_on"], r["username"] or r["subject"], f"{r['cert_sha256'][:12]}…", r["reason"]] for r in rows],
            "revocations_table")
        self.delegations.layout().addWidget(self.revocations_table)
        button = QPushButton(tr("adm.revoke_certificate"), objectName="adm_revoke_certificate")
        button.clicked.connect(lambda _=False: self.revoke_certificate())
        self.delegations.layout().addWidget(button)

    def revoke_certificate(self, values: tuple[str, str] | None = None) -> bool:
        """Revoke the certificate bound to an account (username, reason asked)."""
        if values is None:
            username, ok = QInputDialog.getText(self, self.tr("adm.revoke_certificate"), self.tr("ui.username"))
            if not ok:
                return False
            reason, ok = QInputDialog.getText(self, self.tr("adm.revoke_certificate"), self.tr("adm.reason"))
            if not ok:
                return False
            values = (username, reason)
        username, reason = values
        done = attempt(self, lambda: trust.revoke_certificate(self.session.store, self.session.user, reason,
                                                              username=username.strip()) or True, self.tr)
        if done:
            self.refresh()
        return bool(done)

    def add_user(self, values: dict | None = None) -> str | None:
        form = values or self._ask_user()
        if not form:
            return None
        try:
            user = create_user(self.session.store, self.session.user, form["username"], form["password"], form["role"],
                               full_name_ar=form.get("name_ar", ""), full_name_fr=form.get("name_fr", ""),
                               district_id=form.get("district_id"))
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.tr)
            return None
        self.refresh()
        return user.id

    def _ask_user(self) -> dict | None:
        dialog = QDialog(self)
        dialog.setWindowTitle(self.tr("adm.add_user"))
        form = QFormLayout(dialog)
        username, name_ar, name_fr = QLineEdit(), QLineEdit(), QLineEdit()
        password = QLineEdit(echoMode=QLineEdit.Password)
        role = QComboBox()
        for r in ROLES:
            role.addItem(self.tr.enum("role", r), r)
        district = QComboBox()
        district.addItem("—", None)
        for district_id, name in sorted(self.session.labels.districts.items(), key=lambda kv: kv[1]):
            district.addItem(name, district_id)
        for label, widget in (("ui.username", username), ("adm.role", role), ("adm.name_ar", name_ar),
                              ("adm.name_fr", name_fr), ("ui.district", district), ("ui.password", password)):
            form.addRow(self.tr(label), widget)
        ok = QPushButton(self.tr("cp.save"))
        ok.clicked.connect(dialog.accept)
        form.addRow(ok)
        if not dialog.exec():
            return None
        return {"username": username.text(), "password": password.text(), "role": role.currentData(),
                "name_ar": name_ar.text(), "name_fr": name_fr.text(), "district_id": district.currentData()}

    def set_password(self, password: str | None = None) -> bool:
        row = _selected_row(self.users_table)
        if row < 0:
            return False
        if password is None:
            password, ok = QInputDialog.getText(self, self.tr("adm.password"), self.tr("ui.password"), QLineEdit.Password)
            if not ok:
                return False
        target = self.user_rows[row].id
        done = attempt(self, lambda: set_password(self.session.store, self.session.user, target, password) or True,
                       self.tr)
        return bool(done)

    def _selection_changed(self) -> None:
        row = _selected_row(self.users_table)
        disabled = 0 <= row < len(self.user_active) and not self.user_active[row]
        self.toggle_button.setText(self.tr("adm.enable" if disabled else "adm.disable"))

    def toggle_active(self, confirm: bool = True) -> bool:
        """Disable the selected account (after a confirmation), or enable it again."""
        row = _selected_row(self.users_table)
        if row < 0:
            return False
        user, active = self.user_rows[row], self.user_active[row]
        if active and confirm and QMessageBox.question(
                self, self.tr("adm.disable"), self.tr("adm.confirm_disable", user=f"{user.username} — {user.name(self.tr.lang)}"),
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return False
        done = attempt(self, lambda: accounts.set_active(self.session.commune, user.username, not active) or True, self.tr)
        self.refresh()
        if done and not active and self.session.store.key is not None and confirm:
            # enabled again in an encrypted commune: his key went when he was disabled
            QMessageBox.information(self, self.tr("adm.enable"), self.tr("adm.enable_needs_password",
                                                                        username=user.username))
        return bool(done)

    def edit_role(self, values: tuple[str, str | None] | None = None) -> bool:
        """Change the selected account's role and arrondissement."""
        row = _selected_row(self.users_table)
        if row < 0:
            return False
        user = self.user_rows[row]
        values = values or self._ask_role(user)
        if values is None:
            return False
        role, district_id = values
        done = attempt(self, lambda: accounts.set_role(self.session.commune, user.username, role, district_id) or True,
                       self.tr)
        self.refresh()
        return bool(done)

    def _ask_role(self, user: User) -> tuple[str, str | None] | None:
        dialog = QDialog(self)
        dialog.setWindowTitle(f"{self.tr('adm.edit_role')} {user.username}")
        form = QFormLayout(dialog)
        role = QComboBox(objectName="edit_role")
        for r in ROLES:
            role.addItem(self.tr.enum("role", r), r)
        role.setCurrentIndex(role.findData(user.role))
        district = QComboBox(objectName="edit_district")
        district.addItem("—", None)
        for district_id, name in sorted(self.session.labels.districts.items(), key=lambda kv: kv[1]):
            district.addItem(name, district_id)
        district.setCurrentIndex(max(0, district.findData(user.district_id)))
        form.addRow(self.tr("adm.role"), role)
        form.addRow(self.tr("ui.district"), district)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        form.addRow(buttons)
        if not dialog.exec():
            return None
        return role.currentData(), district.currentData()

    # -- delegations ---------------------------------------------------------------------------
    def add_delegation(self, values: dict | None = None) -> str | None:
        form = values or self._ask_delegation()
        if not form:
            return None
        delegate = get_user(self.session.store, form["delegate_id"]).username
        delegation_id = attempt(self, lambda: accounts.add_delegation(
            self.session.commune, delegate, form["number"], form["decided_on"], form["basis"], form["fields"],
            form["scope_ar"], form["scope_fr"], form["capacity_ar"], form["capacity_fr"], form.get("until"),
            form.get("bo_number", ""), form.get("bo_date"), form.get("district_id")), self.tr)
        if delegation_id is not None:
            self.refresh()
        return delegation_id

    def _ask_delegation(self) -> dict | None:
        dialog, read = self.delegation_form()
        if not dialog.exec():
            return None
        return read()

    def delegation_form(self):
        """The delegation dialog (not shown) and a function reading it: a dict, or None with a
        warning when incomplete. An art. 236 delegation names its arrondissement (the delegate's,
        by default); an art. 103 one has none."""
        tr = self.tr
        dialog = QDialog(self, objectName="delegation_form")
        dialog.setWindowTitle(tr("adm.add_delegation"))
        form = QFormLayout(dialog)
        delegate = QComboBox(objectName="delegation_delegate")
        users = {u.id: u for u in list_users(self.session.store) if u.role not in ("officer", "reviewer")}
        for u in users.values():
            delegate.addItem(f"{u.name(tr.lang)} ({u.username})", u.id)
        number, scope_ar, scope_fr, capacity_ar, capacity_fr = (QLineEdit(objectName=f"delegation_{n}") for n in (
            "number", "scope_ar", "scope_fr", "capacity_ar", "capacity_fr"))
        decided = QDateEdit(QDate.currentDate())
        set_display_format(decided, "yyyy-MM-dd")
        basis = QComboBox(objectName="delegation_basis")
        basis.addItem(tr("adm.art103"), "art103")
        basis.addItem(tr("adm.art236"), "art236")
        district = QComboBox(objectName="delegation_district")  # art. 236: the arrondissement it covers
        district.addItem("—", None)
        for district_id, name in sorted(self.session.labels.districts.items(), key=lambda kv: kv[1]):
            district.addItem(name, district_id)

        def basis_changed() -> None:
            art236 = basis.currentData() == "art236"
            district.setEnabled(art236)
            chosen = users.get(delegate.currentData())
            district.setCurrentIndex(max(0, district.findData(chosen.district_id)) if art236 and chosen else 0)
        basis.currentIndexChanged.connect(basis_changed)
        delegate.currentIndexChanged.connect(basis_changed)
        basis_changed()
        fields = QListWidget(objectName="delegation_fields")
        for f in self.session.catalogue.fields:
            item = QListWidgetItem(f.label(tr.lang))
            item.setData(Qt.UserRole, f.code)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            fields.addItem(item)
        bo_number = QLineEdit(objectName="delegation_bo_number")  # its BO-CT publication (art. 277), before signing
        bo_date = QDateEdit(QDate.currentDate())
        set_display_format(bo_date, "yyyy-MM-dd")
        for label, widget in (("adm.delegate", delegate), ("adm.number", number), ("adm.decided_on", decided),
                              ("adm.basis", basis), ("adm.district_236", district), ("adm.fields", fields),
                              ("adm.scope_ar", scope_ar), ("adm.scope_fr", scope_fr), ("adm.capacity_ar", capacity_ar),
                              ("adm.capacity_fr", capacity_fr), ("adm.bo_number", bo_number), ("adm.bo_date", bo_date)):
            form.addRow(tr(label), widget)
        ok = QPushButton(tr("cp.save"))
        ok.clicked.connect(dialog.accept)
        form.addRow(ok)

        def read() -> dict | None:
            chosen = [fields.item(i).data(Qt.UserRole) for i in range(fields.count())
                      if fields.item(i).checkState() == Qt.Checked]
            if not chosen or not number.text().strip() or not all(w.text().strip() for w in (scope_ar, scope_fr, capacity_ar,
                                                                                           capacity_fr)):
                QMessageBox.warning(self, tr("ui.error_title"), tr("adm.delegation_incomplete"))
                return None
            return {"delegate_id": delegate.currentData(), "number": number.text().strip(),
                    "decided_on": decided.date().toPython(), "basis": basis.currentData(), "fields": chosen,
                    "scope_ar": scope_ar.text(), "scope_fr": scope_fr.text(), "capacity_ar": capacity_ar.text(),
                    "capacity_fr": capacity_fr.text(), "bo_number": bo_number.text().strip(),
                    "bo_date": bo_date.date().toPython() if bo_number.text().strip() else None,
                    "district_id": district.currentData() if basis.currentData() == "art236" else None}
        return dialog, read

    def withdraw(self, reason: str | None = None) -> bool:
        row = _selected_row(self.delegations_table)
        if row < 0:
            return False
        if reason is None:
            reason, ok = QInputDialog.getText(self, self.tr("adm.withdraw"), self.tr("adm.withdraw_reason"))
            if not ok:
                return False
        delegation_id = self.delegation_rows[row]["id"]
        done = attempt(self, lambda: accounts.withdraw_delegation(self.session.commune, delegation_id, reason) or True,
                       self.tr)
        if done:
            self.refresh()
        return bool(done)


def ask_own_password(parent: QWidget, tr) -> tuple[str, str, str] | None:
    """The current password and the new one twice, or None when cancelled."""
    dialog = QDialog(parent)
    dialog.setObjectName("own_password_dialog")
    dialog.setWindowTitle(tr("ui.change_my_password"))
    form = QFormLayout(dialog)
    edits = [QLineEdit(echoMode=QLineEdit.Password, objectName=n) for n in ("current", "new", "again")]
    for key, edit in zip(("ui.current_password", "ui.new_password", "ui.new_password_again"), edits):
        form.addRow(tr(key), edit)
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form.addRow(buttons)
    if not dialog.exec():
        return None
    return edits[0].text(), edits[1].text(), edits[2].text()
