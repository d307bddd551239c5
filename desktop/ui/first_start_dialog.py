"""The first start: no commune database yet, so offer to create one, join the commune's hub (a
device enrolled with its user's login), open the demo, or open a file.

Shown by ``run_gui`` when no ``--db`` was given and no database is remembered (settings'
``last_db``, or the default one in the user's data folder). The rules live in
``desktop.services.first_start`` (Qt-free); this is only the dialog.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QCommandLinkButton, QDialog,
                               QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressDialog, QStackedWidget, QVBoxLayout, QWidget)

from desktop.services import first_start, netsync
from desktop.services.messages import message_for
from desktop.ui.snapshot import watch_first_paint
from desktop.i18n import LANGUAGES, Translator
from desktop.settings import Settings
from desktop.store.errors import StoreError
from desktop.ui.errors import show_error
from desktop.ui.tasks import run_background, run_op

LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français"}


class FirstStartDialog(QDialog):
    """Returns the chosen database in ``chosen`` when accepted."""

    def __init__(self, tr: Translator, settings: Settings,
                 demo_inspections: int = first_start.DEMO_INSPECTIONS, parent: QWidget | None = None):
        super().__init__(parent)
        self.tr, self.settings, self.demo_inspections = tr, settings, demo_inspections
        self.chosen: Path | None = None
        self.setObjectName("first_start")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold; margin: 6px;")
        top.addWidget(self.title, 1)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for lang in LANGUAGES:
            self.language.addItem(LANGUAGE_NAMES[lang], lang)
        self.language.setCurrentIndex(LANGUAGES.index(tr.lang))
        self.language.currentIndexChanged.connect(self._language)
        top.addWidget(self.language)
        layout.addLayout(top)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choice_page())
        self.pages.addWidget(self._create_page())
        self.pages.addWidget(self._join_page())
        layout.addWidget(self.pages)
        self.retranslate()

    # -- pages ------------------------------------------------------------------------------------
    def _choice_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        box.addWidget(self.intro)
        self.create_button = QCommandLinkButton()
        self.create_button.setObjectName("create")
        self.create_button.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        self.demo_button = QCommandLinkButton()
        self.demo_button.setObjectName("demo")
        self.demo_button.clicked.connect(self.open_demo)
        self.open_button = QCommandLinkButton()
        self.open_button.setObjectName("open")
        self.open_button.clicked.connect(self.open_file)
        self.join_button = QCommandLinkButton()
        self.join_button.setObjectName("join")
        self.join_button.clicked.connect(lambda: self.pages.setCurrentIndex(2))
        for button in (self.create_button, self.join_button, self.demo_button, self.open_button):
            box.addWidget(button)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.where.setStyleSheet("color: #555;")
        box.addWidget(self.where)
        box.addStretch(1)
        self.quit_buttons = QDialogButtonBox(QDialogButtonBox.Cancel)
        self.quit_buttons.rejected.connect(self.reject)
        box.addWidget(self.quit_buttons)
        return page

    def _create_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        form = QFormLayout()
        self.name_ar, self.name_fr = QLineEdit(), QLineEdit()
        self.name_ar.setObjectName("name_ar")
        self.name_fr.setObjectName("name_fr")
        self.name_ar.setLayoutDirection(Qt.RightToLeft)
        self.admin = QLineEdit("admin")
        self.admin.setObjectName("admin")
        self.password, self.password_again = QLineEdit(), QLineEdit()
        self.password.setObjectName("password")
        self.password_again.setObjectName("password_again")
        for field in (self.password, self.password_again):
            field.setEchoMode(QLineEdit.Password)
        self.casablanca = QCheckBox()
        self.casablanca.setObjectName("casablanca")
        self.form_labels = [QLabel() for _ in range(5)]
        for label, field in zip(self.form_labels, (self.name_ar, self.name_fr, self.admin,
                                                   self.password, self.password_again)):
            form.addRow(label, field)
        form.addRow("", self.casablanca)
        box.addLayout(form)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        box.addWidget(self.problem)
        box.addStretch(1)
        self.create_buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.create_buttons.accepted.connect(self.create)
        self.create_buttons.rejected.connect(lambda: self.pages.setCurrentIndex(0))
        box.addWidget(self.create_buttons)
        return page

    def _join_page(self) -> QWidget:
        """The commune's hub: its address, the user's login; an HTTPS hub's certificate fingerprint
        shown to be compared with the one the town hall gives, before the password is sent."""
        page = QWidget()
        box = QVBoxLayout(page)
        self.join_intro = QLabel(wordWrap=True)
        box.addWidget(self.join_intro)
        form = QFormLayout()
        self.hub_url = QLineEdit("https://", objectName="hub_url")
        self.join_user = QLineEdit(objectName="join_user")
        self.join_password = QLineEdit(objectName="join_password", echoMode=QLineEdit.Password)
        for field in (self.hub_url, self.join_user, self.join_password):
            field.setLayoutDirection(Qt.LeftToRight)
        self.join_labels = [QLabel() for _ in range(3)]
        for label, field in zip(self.join_labels, (self.hub_url, self.join_user, self.join_password)):
            form.addRow(label, field)
        box.addLayout(form)
        self.fingerprint = QLabel(objectName="fingerprint", wordWrap=True)
        self.fingerprint.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.fingerprint.hide()
        box.addWidget(self.fingerprint)
        self.join_problem = QLabel(objectName="join_problem", wordWrap=True)
        self.join_problem.setStyleSheet("color: #b00020;")
        box.addWidget(self.join_problem)
        box.addStretch(1)
        self.join_buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.join_buttons.accepted.connect(self.join)
        self.join_buttons.rejected.connect(self._leave_join)
        box.addWidget(self.join_buttons)
        self.hub_url.textEdited.connect(lambda _text: self._forget_certificate())
        self.certificate: tuple[str, str] | None = None  # (address, PEM) the user confirmed to see
        return page

    def retranslate(self) -> None:
        tr = self.tr
        self.setWindowTitle(tr("ui.app_title"))
        self.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
        self.title.setText(tr("first.title"))
        self.intro.setText(tr("first.intro"))
        self.create_button.setText(tr("first.create"))
        self.create_button.setDescription(tr("first.create_hint") + " " + tr("first.encrypted_hint"))
        self.demo_button.setText(tr("first.demo"))
        self.demo_button.setDescription(tr("first.demo_hint"))
        self.open_button.setText(tr("first.open"))
        self.open_button.setDescription(tr("first.open_hint"))
        # A path reads left to right even inside Arabic text (Unicode isolate LRI ... PDI).
        self.where.setText(tr("first.where", path=f"\u2066{first_start.data_dir()}\u2069"))
        self.quit_buttons.button(QDialogButtonBox.Cancel).setText(tr("first.quit"))
        for label, key in zip(self.form_labels, ("first.name_ar", "first.name_fr", "first.admin",
                                                 "ui.password", "first.password_again")):
            label.setText(tr(key))
        self.casablanca.setText(tr("first.casablanca"))
        self.create_buttons.button(QDialogButtonBox.Ok).setText(tr("first.create_ok"))
        self.create_buttons.button(QDialogButtonBox.Cancel).setText(tr("first.back"))
        self.join_button.setText(tr("first.join"))
        self.join_button.setDescription(tr("first.join_hint"))
        self.join_intro.setText(tr("first.join_intro"))
        for label, key in zip(self.join_labels, ("first.hub_url", "first.join_user", "first.join_password")):
            label.setText(tr(key))
        self.join_buttons.button(QDialogButtonBox.Ok).setText(tr("first.join_ok" if self.certificate is None
                                                                 else "first.join_confirm"))
        self.join_buttons.button(QDialogButtonBox.Cancel).setText(tr("first.back"))

    def _language(self) -> None:
        self.tr = Translator(self.language.currentData())
        self.settings["language"] = self.tr.lang
        self.retranslate()

    # -- the ways out ---------------------------------------------------------------------------------
    def new_commune(self) -> first_start.NewCommune:
        return first_start.NewCommune(
            name_ar=self.name_ar.text(), name_fr=self.name_fr.text(), admin=self.admin.text().strip(),
            password=self.password.text(), password_again=self.password_again.text(),
            casablanca_districts=self.casablanca.isChecked())

    def create(self) -> None:
        target = first_start.default_db()
        new = self.new_commune()
        found = first_start.problems(new, target)
        if found:
            self.problem.setText("\n".join(self.tr(key, path=str(target)) for key in found))
            return
        try:
            QApplication.setOverrideCursor(Qt.WaitCursor)
            try:
                self.chosen = first_start.create_commune(target, new)
            finally:
                QApplication.restoreOverrideCursor()
        except StoreError as exc:
            self.problem.setText(self.tr("store." + exc.code, **exc.params))
            return
        self.accept()

    def _forget_certificate(self) -> None:
        self.certificate = None
        self.fingerprint.hide()
        self.retranslate()

    def _leave_join(self) -> None:
        self._forget_certificate()
        self.join_problem.clear()
        self.pages.setCurrentIndex(0)

    def join(self) -> None:
        """Enrol this computer with the commune's hub (``netsync.enroll_device``: an encrypted
        replica in the user's data folder, its slice pulled). An HTTPS hub's certificate is shown
        first (its fingerprint) and pinned only once the user confirms it; the password leaves
        only then."""
        tr, url = self.tr, self.hub_url.text().strip()
        user, password = self.join_user.text().strip(), self.join_password.text()
        target = first_start.device_db()
        if not url or not user or not password:
            self.join_problem.setText(tr("first.join_missing"))
            return
        if target.exists():
            self.join_problem.setText(tr("net.db_exists", path=str(target)))
            return
        self.join_problem.clear()
        if self.certificate is None or self.certificate[0] != url:
            self._ask_certificate(url)
            return
        pem = self.certificate[1] or None
        self.setEnabled(False)

        def done(_result) -> None:
            self.setEnabled(True)
            self.chosen = target
            self.accept()

        def failed(exc: Exception) -> None:
            self.setEnabled(True)
            if target.exists():  # enrolled, its first pull cut short: it comes with the first sync
                show_error(self, exc, tr)
                self.chosen = target
                self.accept()
                return
            self._say(exc)
        run_op(self, tr("first.joining"), lambda job: netsync.enroll_device(target, url, user, password,
                                                                             certificate=pem, job=job),
               done, failed, tr=tr, cancellable=False)

    def _say(self, exc: Exception) -> None:
        """A refusal on the join page, in the user's words; a bug in the crash dialog."""
        text = message_for(exc, self.tr)
        if text is None:
            show_error(self, exc, self.tr)
        self.join_problem.setText(text or "")

    def _ask_certificate(self, url: str) -> None:
        """Read the hub's certificate (none on the loopback's plain HTTP) and show its fingerprint."""
        tr = self.tr
        self.setEnabled(False)

        def shown(found: tuple[str | None, str | None]) -> None:
            self.setEnabled(True)
            pem, print_ = found
            self.certificate = (url, pem or "")
            if print_ is None:  # plain HTTP (the loopback only): nothing to compare
                self.join()
                return
            self.fingerprint.setText(tr("first.join_fingerprint", fingerprint=f"\u2066{print_}\u2069"))
            self.fingerprint.show()
            self.retranslate()

        def failed(exc: Exception) -> None:
            self.setEnabled(True)
            self._say(exc)
        run_background(lambda: netsync.hub_fingerprint(url), shown, failed, owner=self)

    def open_demo(self) -> None:
        target = first_start.demo_db()
        if target.exists():
            self.chosen = target
            self.accept()
            return
        busy = QProgressDialog(self.tr("first.demo_building"), "", 0, 0, self)
        busy.setObjectName("demo_progress")
        busy.setCancelButton(None)
        busy.setWindowModality(Qt.WindowModal)
        busy.setMinimumDuration(0)
        busy.show()
        self.setEnabled(False)

        def done(path: Path) -> None:
            busy.close()
            self.chosen = path
            self.accept()

        def failed(exc: Exception) -> None:
            busy.close()
            self.setEnabled(True)
            show_error(self, exc, self.tr)

        from desktop.demo import ensure_demo  # noqa: PLC0415 - numpy and the PDF engine, only for the demo
        run_background(lambda: ensure_demo(target, self.demo_inspections), done, failed,
                       owner=self)

    def open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("first.open"), str(Path.home()),
                                              self.tr("first.file_filter"))
        if name:
            self.chosen = Path(name)
            self.accept()


def choose_database(app: QApplication) -> Path | None:
    """The database to open when none was given: the remembered one, or the user's choice at
    the first start (None when the user quits)."""
    settings = Settings()
    found = first_start.remembered_db(settings["last_db"])
    if found is not None:
        return found
    tr = Translator(settings["language"])
    app.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
    dialog = FirstStartDialog(tr, settings)
    watch_first_paint(dialog)
    if dialog.exec() != QDialog.Accepted or dialog.chosen is None:
        return None
    settings["last_db"] = str(dialog.chosen)
    settings.save()
    return dialog.chosen
