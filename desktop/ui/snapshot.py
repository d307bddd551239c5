"""Save the first window as a PNG once it is painted, then close it (``COMMUNE_POLICE_SNAPSHOT``).

Used by the installer test (the packaged GUI started offscreen in a clean system shows its login)
and by the start-up measurement (bundle against virtualenv): on the first paint it prints one
JSON line ``{"painted_at": <epoch seconds>, "snapshot": <path>}``, saves the window, and rejects
it, so the application ends as if the user had pressed Cancel.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDialog, QWidget

from desktop.services.first_start import snapshot_request


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, path: Path):
        super().__init__(widget)
        self.widget, self.path, self.done = widget, path, False

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint and not self.done:
            self.done = True
            painted_at = time.time()
            QTimer.singleShot(0, lambda: self._save(painted_at))
        return False

    def _save(self, painted_at: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        saved = self.widget.grab().save(str(self.path), "PNG")
        print(json.dumps({"painted_at": painted_at, "snapshot": str(self.path), "saved": saved,
                          "window": self.widget.objectName()}), flush=True, file=sys.stdout)
        if isinstance(self.widget, QDialog):
            self.widget.reject()
        else:
            self.widget.close()


def watch_first_paint(widget: QWidget, path: Path | None = None) -> bool:
    """Arm the snapshot on ``widget`` when asked (``path``, or the environment); returns whether
    it was armed."""
    path = path or snapshot_request()
    if path is None:
        return False
    widget.installEventFilter(_FirstPaint(widget, path))
    return True
