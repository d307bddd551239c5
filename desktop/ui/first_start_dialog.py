"""The first start: no commune database yet, so offer to create one, open the demo, or open a file.

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

from desktop.services import first_start
from desktop.ui.snapshot import watch_first_paint
from desktop.i18n import LANGUAGES, Translator
from desktop.settings import Settings
from desktop.store.errors import StoreError
from desktop.ui.errors import show_error
from desktop.ui.tasks import run_background

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
        for button in (self.create_button, self.demo_button, self.open_button):
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

    def _language(self) -> None:
        self.tr = Translator(self.language.currentData())
        self.settings["language"] = self.tr.lang
        self.retranslate()

    # -- the three ways out -----------------------------------------------------------------------
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
