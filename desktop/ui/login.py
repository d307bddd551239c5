"""Login: username and password, the interface language, and a banner on demo databases."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QVBoxLayout)

from pathlib import Path

from desktop.i18n import LANGUAGES, Translator
from desktop.store.db import Store, demo_accounts
from desktop.store.errors import StoreError
from desktop.store.users import User, authenticate
from desktop.ui.widgets import ltr

LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français"}


class LoginDialog(QDialog):
    language_changed = Signal(str)

    def __init__(self, store: Store | None, tr: Translator, commune_name: str = "",
                 commune_names: tuple[str, str] | None = None, locked: Path | None = None):
        """``commune_names`` (Arabic, French) follow the language chosen here; else ``commune_name``.
        ``locked``: an encrypted database not opened yet (``store`` None): the password typed here
        unwraps its key, then the commune opens (``self.opened``) and the login goes on as usual."""
        super().__init__()
        self.store, self.tr, self.commune_names, self.locked = store, tr, commune_names, locked
        self.opened = None  # the commune this dialog opened (an encrypted one), for the caller to keep
        self.catalogue = None  # read while the password is typed (desktop.ui.app.preload_after_login)
        self.user: User | None = None
        self.proof: str | None = None  # the key just unwrapped proves the typed password (keys.unlock)
        self.setObjectName("login")
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold; margin: 8px;")
        layout.addWidget(self.title)
        self.commune = QLabel(commune_name)
        self.commune.setAlignment(Qt.AlignCenter)
        layout.addWidget(self.commune)
        self.demo = QLabel()
        self.demo.setObjectName("demo_banner")
        self.demo.setWordWrap(True)
        self.demo.setStyleSheet("background: #fff4ce; border: 1px solid #e0b400; padding: 8px;")
        self.demo.setVisible(store is not None and store.is_demo)
        layout.addWidget(self.demo)
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.Password)
        self.language = QComboBox()
        for lang in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[lang], lang)
        self.language.setCurrentIndex(LANGUAGES.index(tr.lang))
        self.language.currentIndexChanged.connect(self._language)
        self.labels = [QLabel(), QLabel(), QLabel()]
        form.addRow(self.labels[0], self.username)
        form.addRow(self.labels[1], self.password)
        form.addRow(self.labels[2], self.language)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("login_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.try_login)
        self.retranslate()
        self.username.setFocus()

    def retranslate(self) -> None:
        tr = self.tr
        self.setWindowTitle(tr("ui.app_title"))
        self.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
        self.title.setText(tr("ui.app_title"))
        if self.commune_names:
            self.commune.setText(tr.pick(*self.commune_names))
        self.labels[0].setText(tr("ui.username"))
        self.labels[1].setText(tr("ui.password"))
        self.labels[2].setText(tr("ui.language"))
        self.buttons.button(QDialogButtonBox.Ok).setText(tr("ui.login"))
        self.buttons.button(QDialogButtonBox.Cancel).setText(tr("ui.cancel"))
        accounts = demo_accounts(self.store) if self.store is not None else []
        lines = "<br>".join(f"<b>{u}</b> / {p} — {tr.enum('role', r)}" for u, p, r in accounts)
        self.demo.setText(f"<b>{tr('ui.demo_banner')}</b><br>{lines}")

    def _language(self) -> None:
        self.tr = Translator(self.language.currentData())
        self.retranslate()
        self.language_changed.emit(self.tr.lang)

    def _open_locked(self) -> bool:
        """Unwrap the encrypted commune's key with the typed password and open it; a refusal is
        said under the fields (a wrong password changes nothing)."""
        from desktop.services.commune import open_commune, unlock  # noqa: PLC0415 - after the login paints
        try:
            self.proof = unlock(self.locked, self.username.text(), self.password.text())
            self.opened = open_commune(self.locked)
        except StoreError as exc:
            params = {k: ltr(v) for k, v in exc.params.items()}  # paths read left to right in Arabic
            self.error.setText(self.tr("store." + exc.code, **params))
            self.password.clear()
            self.password.setFocus()
            return False
        if self.catalogue is not None:
            self.opened.loaded_catalogue = self.catalogue
        self.store = self.opened.store
        info = self.opened.info
        if info is not None:
            self.commune_names = (info.name_ar, info.name_fr)
            self.commune.setText(self.tr.pick(*self.commune_names))
        return True

    def try_login(self) -> None:
        if self.store is None and (self.locked is None or not self._open_locked()):
            return
        assert self.store is not None
        user = authenticate(self.store, self.username.text(), self.password.text(), self.proof)
        self.proof = None  # for this password only
        if user is None:
            self.error.setText(self.tr("ui.login_failed"))
            self.password.clear()
            self.password.setFocus()
            return
        self.user = user
        self.accept()
