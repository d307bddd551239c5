"""The inspected site: picked from the registry as you type, or created inline with its owner and
authorisation when it is not registered yet."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCheckBox, QCompleter, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.domain.model import OWNER_ID_KINDS, SITE_KINDS, SiteInput
from desktop.i18n import Translator
from desktop.store.db import Store
from desktop.store.sites import get_site, search_sites
from desktop.ui.form_parts import enum_combo, select_data
from desktop.ui.form_section import FormSection


class SitePicker(QWidget):
    """Search the registry as you type (name, address, owner, ID number) and pick a site."""
    picked = Signal(dict)

    def __init__(self, store: Store, tr: Translator, parent=None):
        super().__init__(parent)
        self.store, self.tr = store, tr
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit(placeholderText=tr("ui.site_search"))
        self.search.setObjectName("site_search")
        self.results = QStandardItemModel(self)
        self.completer = QCompleter(self.results, self)
        self.completer.setCompletionMode(QCompleter.UnfilteredPopupCompletion)
        self.completer.setWidget(self.search)
        self.completer.activated[str].connect(self._activated)
        self.search.textEdited.connect(self._lookup)
        layout.addWidget(self.search)
        self._sites: dict[str, dict] = {}

    def _lookup(self, text: str) -> None:
        self.results.clear()
        self._sites = {}
        if len(text.strip()) < 2:
            return
        for site in search_sites(self.store, text, limit=20):
            label = f"{site['name']} — {site['address']} — {site['owner_name']}"
            item = QStandardItem(label)
            item.setData(site["id"], Qt.UserRole)
            self.results.appendRow(item)
            self._sites[label] = site
        self.completer.complete()

    def _activated(self, label: str) -> None:
        site = self._sites.get(label)
        if site:
            self.search.setText(site["name"])
            self.picked.emit(site)


@dataclass
class SiteChoice:
    """A registered site, or a new one to create with the inspection (never both)."""
    site_id: str | None = None
    new_site: SiteInput | None = None


class SiteSection(FormSection):
    """Validation fields: ``site``, and for a new site ``site_kind``, ``site_name``, ``site_address``,
    ``site_owner``, ``site_authorisation``."""
    picked = Signal(dict)  # a registered site was chosen: the form can take its place from it

    def __init__(self, store: Store, tr: Translator, parent: QWidget | None = None):
        super().__init__(tr("ui.sec_site"), parent)
        self.store, self.tr = store, tr
        self.chosen: dict | None = None
        self.site_picker = SitePicker(store, tr)
        self.site_picker.picked.connect(self._on_picked)
        self.summary = QLabel(objectName="site_summary")
        self.summary.setWordWrap(True)
        self.new_site = QCheckBox(tr("ui.new_site"), objectName="new_site")
        self.new_site.toggled.connect(self._on_new_site)
        self.add_row(tr("ui.site"), self.site_picker, "site")
        self.form.addRow("", self.summary)
        self.form.addRow("", self.new_site)
        self.site_box = QWidget()
        self._build_new_site(QFormLayout(self.site_box))
        self.form.addRow(self.site_box)
        self.watch_edits()
        self._on_new_site(False)

    def _build_new_site(self, form: QFormLayout) -> None:
        tr = self.tr
        self.site_kind = enum_combo(tr, "site_kind", SITE_KINDS, "site_kind", blank=False)
        self.site_name = QLineEdit(objectName="site_name")
        self.site_address = QLineEdit(objectName="site_address")
        self.site_activity = QLineEdit(objectName="site_activity")
        self.owner_name = QLineEdit(objectName="owner_name")
        self.owner_id_kind = enum_combo(tr, "owner_id_kind", OWNER_ID_KINDS, "owner_id_kind", blank=False)
        self.owner_id_number = QLineEdit(objectName="owner_id_number")
        self.auth_ref = QLineEdit(objectName="authorisation_ref")
        self.auth_expires = QLineEdit(objectName="authorisation_expires", placeholderText="AAAA-MM-JJ")
        owner_id = QHBoxLayout()
        owner_id.addWidget(self.owner_id_kind)
        owner_id.addWidget(self.owner_id_number)
        auth = QHBoxLayout()
        auth.addWidget(self.auth_ref)
        auth.addWidget(self.auth_expires)
        self.add_row(tr("ui.site_kind"), self.site_kind, "site_kind", form)
        self.add_row(tr("ui.site_name"), self.site_name, "site_name", form)
        self.add_row(tr("ui.site_address"), self.site_address, "site_address", form)
        form.addRow(tr("ui.site_activity"), self.site_activity)
        form.addRow(tr("ui.owner_name"), self.owner_name)
        self.add_row(tr("ui.owner_id"), owner_id, "site_owner", form)
        self.add_row(tr("ui.authorisation"), auth, "site_authorisation", form)

    def _on_new_site(self, on: bool) -> None:
        self.site_box.setVisible(on)
        self.site_picker.setEnabled(not on)
        if on:
            self.chosen = None
            self.summary.clear()

    def _show_site(self, site: dict) -> None:
        self.chosen = site
        kind = self.tr.enum("site_kind", site["kind"])
        owner = f" — {site['owner_name']}" if site["owner_name"] else ""
        self.summary.setText(f"{kind}: {site['name']}, {site['address']}{owner}")

    def _on_picked(self, site: dict) -> None:
        self._show_site(site)
        self.picked.emit(site)
        self.changed.emit()

    def load(self, choice: SiteChoice) -> None:
        site = get_site(self.store, choice.site_id) if choice.site_id else None
        self.chosen = None
        self.summary.clear()
        if site:
            self.site_picker.search.setText(site["name"])
            self._show_site(site)
        self.new_site.setChecked(choice.new_site is not None)
        self._on_new_site(choice.new_site is not None)
        if choice.new_site:
            s = choice.new_site
            select_data(self.site_kind, s.kind)
            select_data(self.owner_id_kind, s.owner_id_kind)
            for edit, value in ((self.site_name, s.name), (self.site_address, s.address),
                                (self.site_activity, s.activity), (self.owner_name, s.owner_name),
                                (self.owner_id_number, s.owner_id_number), (self.auth_ref, s.authorisation_ref),
                                (self.auth_expires, s.authorisation_expires)):
                edit.setText(value)

    def collect(self) -> SiteChoice:
        if not self.new_site.isChecked():
            return SiteChoice(site_id=(self.chosen or {}).get("id"))
        return SiteChoice(new_site=SiteInput(
            kind=self.site_kind.currentData(), name=self.site_name.text(), address=self.site_address.text(),
            activity=self.site_activity.text(), owner_name=self.owner_name.text(),
            owner_id_kind=self.owner_id_kind.currentData(), owner_id_number=self.owner_id_number.text(),
            authorisation_ref=self.auth_ref.text(), authorisation_expires=self.auth_expires.text().strip()))
