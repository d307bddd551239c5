"""The one place errors reach the user.

"The world failed" (StoreError: disk full, bad file...) gets a clear message in the user's
language and nothing is lost; "we have a bug" is logged with its traceback and a dialog offers
the log file.
"""
from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from typing import Callable

import platformdirs
from PySide6.QtGui import QGuiApplication
from shiboken6 import isValid
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QWidget

from desktop.domain.errors import Refusal
from desktop.i18n import Translator
from desktop.services.messages import message_for

log = logging.getLogger("commune_police")


def log_path() -> Path:
    return Path(platformdirs.user_log_dir("commune-police", appauthor=False)) / "commune-police.log"


def setup_logging() -> None:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def show_error(parent: QWidget | None, exc: BaseException, tr: Translator) -> None:
    """A refusal or a failure of the world in a message box; a bug in the crash dialog."""
    text = message_for(exc, tr)
    if parent is not None and not isValid(parent):  # its window closed while the work ran: nowhere to show it
        log.warning("error after its window closed: %r", exc)
        return
    if text is None:
        report_bug(parent, exc, tr)
        return
    log.warning("user-facing error: %r", exc)
    QMessageBox.warning(parent, tr("ui.error_title"), text)


def report_bug(parent: QWidget | None, exc: BaseException, tr: Translator) -> None:
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("unexpected error\n%s", details)
    if QGuiApplication.platformName() in ("offscreen", "minimal"):  # no screen, no one to click: the log has it
        print(details, file=sys.stderr)
        return
    box = QMessageBox(QMessageBox.Critical, tr("ui.bug_title"),
                      tr("ui.bug_text", path=str(log_path())), QMessageBox.Ok, parent)
    box.setDetailedText(details)
    box.exec()


def install_excepthook(tr: Translator) -> None:
    def hook(kind, value, tb):
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        exc = value.with_traceback(tb)
        show_error(None, exc, tr)
    sys.excepthook = hook


def submit_form(dialog: QDialog, call: Callable[[], object], error_label: QLabel, tr: Translator):
    """Run a form's save call: a refusal is written in the form (its problems listed), anything
    else goes to ``show_error``. Accepts the dialog and returns the call's result, or None."""
    try:
        result = call()
    except Refusal as exc:
        error_label.setText(message_for(exc, tr) or "")
        return None
    except Exception as exc:  # noqa: BLE001 - the one presenter decides: the world's failure or a bug
        show_error(dialog, exc, tr)
        return None
    dialog.accept()
    return result


def attempt(parent: QWidget | None, call: Callable[[], object], tr: Translator):
    """Run a user's action; its refusal or failure is shown (``show_error``) and None returned."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the one presenter decides: the world's failure or a bug
        show_error(parent, exc, tr)
        return None
