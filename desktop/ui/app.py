"""Start the GUI: fonts, language, the database, login, the main window."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.domain.catalogue import CatalogueError, load_catalogue
from desktop.i18n import Translator
from desktop.settings import Settings
from desktop.store.commune import get_commune
from desktop.store.db import open_store
from desktop.store.errors import StoreError
from desktop.ui.errors import install_excepthook, setup_logging
from desktop.ui.fonts import register_fonts, ui_font
from desktop.ui.login import LoginDialog
from desktop.ui.qt_translations import install_qt_translations
from desktop.ui.snapshot import watch_first_paint


# The login paints within a few tens of milliseconds; the preload starts after that and well
# before anyone has typed a password.
PRELOAD_DELAY_MS = 200


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
    install_qt_translations(app, tr.lang)


def open_session(db_path: Path, settings: Settings, tr: Translator):
    """Open the store and catalogue; returns (store, catalogue) or raises the user's error."""
    store = open_store(db_path)
    try:
        catalogue = load_catalogue(catalogue_dir(db_path))
    except CatalogueError:
        store.close()
        raise
    return store, catalogue


def prepare_login(db_path: Path):
    """Everything up to the login dialog on screen: (app, settings, store, catalogue, login).

    Returns None after telling the user why the database or catalogue cannot be opened.
    """
    setup_logging()
    app = make_application()
    settings = Settings()
    tr = Translator(settings["language"])
    apply_direction(app, tr)
    install_excepthook(tr)
    try:
        store, catalogue = open_session(db_path, settings, tr)
    except StoreError as exc:
        text = tr("store." + exc.code, **exc.params)
        if exc.code == "not_found":
            text += "\n\n" + tr("ui.no_database_hint")
        QMessageBox.critical(None, tr("ui.error_title"), text)
        return None
    except CatalogueError as exc:
        QMessageBox.critical(None, tr("ui.error_title"), tr("catalogue.error", str(exc)))
        return None
    commune = get_commune(store)
    login = LoginDialog(store, tr, tr.pick(commune.name_ar, commune.name_fr) if commune else "")
    login.language_changed.connect(lambda lang: apply_direction(app, Translator(lang)))
    QTimer.singleShot(PRELOAD_DELAY_MS, preload_after_login)
    return app, settings, store, catalogue, login


def preload_after_login() -> None:
    """Load what the main window needs while the login waits for the password (a person takes
    seconds to type it), so that the list appears as soon as the password is accepted."""
    import desktop.ui.main_window  # noqa: F401
    import desktop.ui.session  # noqa: F401
    from desktop.domain.auth import password_hasher
    password_hasher()


def open_main_window(app: QApplication, settings: Settings, store, catalogue, login: LoginDialog):
    """After a successful login: remember the choices, build the session, show the window."""
    # Imported once the login shows: the list, the form and their store modules are not needed
    # to paint the login, and leaving them out makes the start faster.
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    settings["language"] = login.tr.lang
    settings["last_db"] = str(store.path)
    settings.save()
    session = Session(store, login.user, catalogue, login.tr, settings)
    window = MainWindow(session)
    window.language_switched.connect(lambda lang: apply_direction(app, Translator(lang)))
    window.show()
    return window


def run_gui(db_path: Path | None = None) -> int:
    if db_path is None:  # no --db: the remembered database, or the first-start dialog
        from desktop.ui.first_start_dialog import choose_database
        db_path = choose_database(make_application())
        if db_path is None:
            return 0
    prepared = prepare_login(db_path)
    if prepared is None:
        return 2
    app, settings, store, catalogue, login = prepared
    watch_first_paint(login)  # only when COMMUNE_POLICE_SNAPSHOT asks for it
    if login.exec() != QDialog.Accepted or login.user is None:
        store.close()
        return 0
    window = open_main_window(app, settings, store, catalogue, login)  # noqa: F841 - kept alive
    code = app.exec()
    QThreadPool.globalInstance().waitForDone()  # background counts finish before the store closes
    store.close()
    return code
