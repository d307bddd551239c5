"""Start the GUI: fonts, language, the database, login, the main window."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.domain.catalogue import CatalogueError, load_catalogue
from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.store.commune import get_commune
from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.store.inspections import district_locator
from desktop.ui.errors import install_excepthook, setup_logging
from desktop.ui.fonts import register_fonts, ui_font
from desktop.ui.login import LoginDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.session import Session


def catalogue_dir(db_path: Path) -> Path:
    """A commune's catalogue extensions: ``catalogue.d`` beside its database."""
    return db_path.parent / "catalogue.d"


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("commune-police")
    register_fonts()
    app.setFont(ui_font())
    return app


def apply_direction(app: QApplication, tr: Translator) -> None:
    app.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)


def open_session(db_path: Path, settings: Settings, tr: Translator):
    """Open the store and catalogue; returns (store, catalogue) or raises the user's error."""
    store = open_store(db_path)
    try:
        catalogue = load_catalogue(catalogue_dir(db_path))
    except CatalogueError:
        store.close()
        raise
    return store, catalogue


def run_gui(db_path: Path) -> int:
    setup_logging()
    app = make_application()
    settings = Settings()
    tr = Translator(settings["language"])
    apply_direction(app, tr)
    install_excepthook(tr)
    try:
        store, catalogue = open_session(db_path, settings, tr)
    except StoreError as exc:
        QMessageBox.critical(None, tr("ui.error_title"), tr("store." + exc.code, **exc.params))
        return 2
    except CatalogueError as exc:
        QMessageBox.critical(None, tr("ui.error_title"), tr("catalogue.error", str(exc)))
        return 2
    commune = get_commune(store)
    login = LoginDialog(store, tr, tr.pick(commune.name_ar, commune.name_fr) if commune else "")
    login.language_changed.connect(lambda lang: apply_direction(app, Translator(lang)))
    if login.exec() != QDialog.Accepted or login.user is None:
        store.close()
        return 0
    settings["language"] = login.tr.lang
    settings["last_db"] = str(db_path)
    settings.save()
    session = Session(store, login.user, catalogue, login.tr, settings, district_locator(store))
    window = MainWindow(session)
    window.language_switched.connect(lambda lang: apply_direction(app, Translator(lang)))
    window.show()
    code = app.exec()
    store.close()
    return code
