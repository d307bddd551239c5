"""The application's own start: launch → login dialog painted; then login → first list page painted.

Uses the same functions as ``commune-police`` (desktop.ui.app.prepare_login / open_main_window).
The password is "typed" TYPING_S after the login paints: the application uses that idle time to
load the main window's modules (desktop.ui.app.preload_after_login), as it does for a person.
"""
import json
import sys
import time
from pathlib import Path

import desktop.cli  # noqa: F401 - first, as the `commune-police` script imports it before starting the GUI
from desktop.store.users import authenticate
from desktop.ui.app import open_main_window, prepare_login

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer  # noqa: E402, I001


class FirstPaint(QObject):
    def __init__(self, then):
        super().__init__()
        self.at, self.then = None, then

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Paint and self.at is None:
            self.at = time.time()
            QTimer.singleShot(0, self.then)
        return False


result = {}
app, settings, commune, login = prepare_login(Path(sys.argv[1]))


def do_login():
    result["login_painted_at"] = login_probe.at
    start = time.time()
    if commune is None:  # an encrypted commune: the login dialog unwraps its key and opens it
        login.username.setText("agent001")
        login.password.setText("agent-demo")
        login.try_login()
        assert login.user is not None, login.error.text()
    else:
        login.user = authenticate(commune.store, "agent001", "agent-demo")
        login.accept()
    window = open_main_window(app, settings, commune or login.opened, login)
    window.inspections.view.viewport().installEventFilter(list_probe)
    result["login_clicked_at"] = start
    result["rows_loaded"] = window.inspections.model.rowCount()
    app.window = window


def done():
    result["list_painted_at"] = list_probe.at
    app.quit()


TYPING_S = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
login_probe = FirstPaint(lambda: QTimer.singleShot(int(TYPING_S * 1000), do_login))
list_probe = FirstPaint(done)
login.installEventFilter(login_probe)
login.show()
app.exec()
QThreadPool.globalInstance().waitForDone()
import resource  # noqa: E402
result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
