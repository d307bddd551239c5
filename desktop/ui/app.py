"""Start the GUI: fonts, language, the database, login, the main window."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QLockFile, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.i18n import Translator
from desktop.services.commune import Commune, open_commune
from desktop.services.messages import message_for
from desktop.settings import Settings
from desktop.store.errors import StoreError
from desktop.ui.wheel_guard import install_wheel_guard
from desktop.ui.errors import install_excepthook, setup_logging
from desktop.ui.fonts import UI_FILES, register_fonts, ui_font
from desktop.ui.login import LoginDialog
from desktop.ui.qt_translations import install_qt_translations
from desktop.ui.snapshot import watch_first_paint


# The login paints within a few tens of milliseconds; the preload starts after that and well
# before anyone has typed a password.
PRELOAD_DELAY_MS = 200


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("commune-police")
    register_fonts(UI_FILES)
    app.setFont(ui_font())
    return app


def apply_direction(app: QApplication, tr: Translator) -> None:
    app.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
    install_qt_translations(app, tr.lang)


def prepare_login(db_path: Path):
    """Everything up to the login dialog on screen: (app, settings, commune, login).

    Returns None after telling the user why the database cannot be opened.
    """
    setup_logging()
    app = make_application()
    settings = Settings()
    tr = Translator(settings["language"])
    apply_direction(app, tr)
    install_excepthook(tr)
    from desktop.services.commune import needs_password
    if needs_password(db_path):  # encrypted: nothing can be read before a password unwraps the key
        login = LoginDialog(None, tr, locked=Path(db_path))
        login.language_changed.connect(lambda lang: apply_direction(app, Translator(lang)))
        QTimer.singleShot(PRELOAD_DELAY_MS, login, lambda: preload_after_login(None, login))
        return app, settings, None, login
    try:
        commune = open_commune(db_path)
    except StoreError as exc:
        text = tr("store." + exc.code, **exc.params)
        if exc.code == "not_found":
            text += "\n\n" + tr("ui.no_database_hint")
        QMessageBox.critical(None, tr("ui.error_title"), text)
        return None
    info = commune.info
    login = LoginDialog(commune.store, tr, commune_names=(info.name_ar, info.name_fr) if info else None)
    login.language_changed.connect(lambda lang: apply_direction(app, Translator(lang)))
    QTimer.singleShot(PRELOAD_DELAY_MS, login, lambda: preload_after_login(commune, login))
    return app, settings, commune, login


def preload_after_login(commune: Commune | None, login: LoginDialog) -> None:
    """Load what the main window needs while the login waits for the password (a person takes
    seconds to type it), so that the list appears as soon as the password is accepted: the
    commune's catalogue (a broken extension is said now, and the login closes), the main
    window's modules and the password hasher. Nothing when the login is not on screen (closed)."""
    if not login.isVisible():
        return
    try:
        if commune is not None:
            _ = commune.catalogue  # read now, while the password is typed
        elif login.locked is not None:  # an encrypted commune: its catalogue needs no key
            from desktop.domain.catalogue import load_catalogue
            from desktop.services.commune import catalogue_dir
            from desktop.store import keys
            login.catalogue = load_catalogue(catalogue_dir(login.locked))
            keys.subkey(bytes(32), "preload")  # the ciphers' modules, imported now
    except Exception as exc:  # noqa: BLE001 - the one presenter decides: the commune's bad file, or a bug
        text = message_for(exc, login.tr)
        if text is None:
            raise
        QMessageBox.critical(login, login.tr("ui.error_title"), text)
        login.reject()
        return
    for pattern in ("Amiri*.ttf", "NotoNaskh*.ttf"):  # the documents' fonts, for previews
        register_fonts(pattern)
    import desktop.ui.main_window  # noqa: F401
    import desktop.ui.session  # noqa: F401
    from desktop.domain.auth import password_hasher
    password_hasher()
    if login.locked is not None:
        from argon2 import low_level  # noqa: F401 - the key's derivation, used first on an encrypted commune


def open_main_window(app: QApplication, settings: Settings, commune: Commune, login: LoginDialog):
    """After a successful login: remember the choices, build the session, show the window."""
    # Imported once the login shows: the list, the form and their store modules are not needed
    # to paint the login, and leaving them out makes the start faster.
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session
    settings["language"] = login.tr.lang
    settings["last_db"] = str(commune.path)
    settings.save()
    commune.user = login.user
    install_wheel_guard(app)  # after the login: an application-wide filter sees every event from here on
    session = Session(commune, login.tr, settings)
    window = MainWindow(session)
    window.language_switched.connect(lambda lang: apply_direction(app, Translator(lang)))
    window.logout_requested.connect(lambda: switch_user(app, settings, commune, window))
    window.show()
    QTimer.singleShot(0, window, window.password_reset_notice)  # cancelled with the window  # a reset password: said at once, changed now
    app._main_window = window  # type: ignore[attr-defined] - kept alive across a change of user
    return window


def switch_user(app: QApplication, settings: Settings, commune: Commune, window) -> bool:
    """Log out: the window closes (drafts saved), the login comes back on the same commune; a new
    window opens for whoever logs in, or the application ends when the login is cancelled."""
    app.setQuitOnLastWindowClosed(False)
    try:
        if not window.close():
            return False
        window.deleteLater()
        tr = Translator(settings["language"])
        info = commune.info
        login = LoginDialog(commune.store, tr, commune_names=(info.name_ar, info.name_fr) if info else None)
        login.language_changed.connect(lambda lang: apply_direction(app, Translator(lang)))
        if login.exec() != QDialog.Accepted or login.user is None:
            app.quit()
            return False
        open_main_window(app, settings, commune, login)
        return True
    finally:
        app.setQuitOnLastWindowClosed(True)


def claim_database(db_path: Path) -> QLockFile | None:
    """A lock beside the database for as long as this copy of the application runs; None when
    another running copy holds it (two copies on one database overwrite each other's view of it;
    the user is told). A lock left by a crashed copy is taken over."""
    lock = QLockFile(str(db_path) + ".lock")
    lock.setStaleLockTime(0)  # only a dead process's lock is stale
    return lock if lock.tryLock(100) else None


def run_gui(db_path: Path | None = None) -> int:
    if db_path is None:  # no --db: the remembered database, or the first-start dialog
        from desktop.ui.first_start_dialog import choose_database
        db_path = choose_database(make_application())
        if db_path is None:
            return 0
    prepared = prepare_login(db_path)
    if prepared is None:
        return 2
    app, settings, commune, login = prepared
    lock = claim_database(Path(db_path))  # noqa: F841 - held until the application ends
    if lock is None:
        QMessageBox.warning(login, login.tr("ui.error_title"), login.tr("ui.second_copy", path=str(db_path)))
    watch_first_paint(login)  # only when COMMUNE_POLICE_SNAPSHOT asks for it
    if login.exec() != QDialog.Accepted or login.user is None:
        for opened in (commune, login.opened):
            if opened is not None:
                opened.close()
        return 0
    commune = commune or login.opened
    window = open_main_window(app, settings, commune, login)  # noqa: F841 - kept alive
    code = app.exec()
    QThreadPool.globalInstance().waitForDone()  # background counts finish before the store closes
    commune.close()
    return code
