"""Correcting a site in the registry: its kind, name, address, activity, owner and identity, and a
new authorisation; checked as a new site is, journaled (coordinator, administrator)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout

from desktop.domain.model import OWNER_ID_KINDS, SITE_KINDS, SiteInput
from desktop.services.sites import edit_site, site_input
from desktop.store.sites import get_site
from desktop.ui.errors import submit_form
from desktop.ui.form_parts import enum_combo, select_data
from desktop.ui.session import Session


class SiteEditDialog(QDialog):
    def __init__(self, session: Session, site_id: str, parent=None):
        super().__init__(parent)
        self.session, self.site_id, tr = session, site_id, session.tr
        self.setObjectName("site_edit")
        self.setWindowTitle(tr("site.edit_title"))
        self.resize(560, 0)
        site = get_site(session.store, site_id) or {}
        current = site_input(site)
        self.kind = enum_combo(tr, "site_kind", SITE_KINDS, "site_kind", blank=False)
        select_data(self.kind, current.kind)
        self.name = QLineEdit(current.name, objectName="site_name")
        self.address = QLineEdit(current.address, objectName="site_address")
        self.activity = QLineEdit(current.activity, objectName="site_activity")
        self.owner_name = QLineEdit(current.owner_name, objectName="owner_name")
        self.owner_id_kind = enum_combo(tr, "owner_id_kind", OWNER_ID_KINDS, "owner_id_kind", blank=False)
        select_data(self.owner_id_kind, current.owner_id_kind)
        self.owner_id_number = QLineEdit(current.owner_id_number, objectName="owner_id_number")
        self.auth_ref = QLineEdit(objectName="authorisation_ref", placeholderText=tr("site.new_authorisation"))
        self.auth_expires = QLineEdit(objectName="authorisation_expires", placeholderText="AAAA-MM-JJ")
        form = QFormLayout()
        owner_id = QHBoxLayout()
        owner_id.addWidget(self.owner_id_kind)
        owner_id.addWidget(self.owner_id_number, 1)
        auth = QHBoxLayout()
        auth.addWidget(self.auth_ref, 2)
        auth.addWidget(self.auth_expires, 1)
        for label, widget in (("ui.site_kind", self.kind), ("ui.site_name", self.name), ("ui.site_address", self.address),
                              ("ui.site_activity", self.activity), ("ui.owner_name", self.owner_name)):
            form.addRow(tr(label), widget)
        form.addRow(tr("ui.owner_id"), owner_id)
        form.addRow(tr("ui.authorisation"), auth)
        held = ", ".join(f"{a['reference']} ({a['expires_on'] or '—'})" for a in site.get("authorisations", []))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        if held:
            layout.addWidget(QLabel(tr("site.held_authorisations", refs=held), wordWrap=True))
        note = QLabel(tr("site.edit_note"), wordWrap=True)
        note.setStyleSheet("color: #555;")
        layout.addWidget(note)
        self.error = QLabel(objectName="site_edit_error", wordWrap=True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def edited(self) -> SiteInput:
        return SiteInput(kind=self.kind.currentData(), name=self.name.text(), address=self.address.text(),
                         activity=self.activity.text(), owner_name=self.owner_name.text(),
                         owner_id_kind=self.owner_id_kind.currentData(), owner_id_number=self.owner_id_number.text(),
                         authorisation_ref=self.auth_ref.text(), authorisation_expires=self.auth_expires.text().strip())

    def save(self) -> bool:
        done = submit_form(self, lambda: edit_site(self.session.commune, self.site_id, self.edited()) or True,
                           self.error, self.session.tr)
        return bool(done)
