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

import platformdirs
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop.domain.auth import PermissionDenied
from desktop.i18n import Translator
from desktop.store.errors import StoreError

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


def message_for(exc: BaseException, tr: Translator) -> str | None:
    """The user's message for a failure of the world, or None for a bug."""
    if isinstance(exc, StoreError):
        text = tr("store." + exc.code, **exc.params)
        return f"{text}\n\n({exc.detail})" if exc.detail else text
    if isinstance(exc, PermissionDenied):
        return tr("store.permission_denied")
    return None


def show_error(parent: QWidget | None, exc: BaseException, tr: Translator) -> None:
    text = message_for(exc, tr)
    if text is None:
        report_bug(parent, exc, tr)
        return
    log.warning("user-facing error: %r", exc)
    QMessageBox.warning(parent, tr("ui.error_title"), text)


def report_bug(parent: QWidget | None, exc: BaseException, tr: Translator) -> None:
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.error("unexpected error\n%s", details)
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
