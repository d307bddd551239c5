"""Long work off the GUI thread: one helper with success and failure callbacks.

The callbacks always run on the GUI thread (queued through a relay object that lives there), and
never after their ``owner`` widget is gone (a page rebuilt or closed while the work ran).
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Relay(QObject):
    def __init__(self, on_done: Callable, on_failed: Callable | None, owner: QObject | None):
        super().__init__()
        self.on_done, self.on_failed = on_done, on_failed
        self.cancelled = False
        if owner is not None:
            owner.destroyed.connect(self._cancel)

    @Slot()
    def _cancel(self) -> None:
        self.cancelled = True

    @Slot(object)
    def done(self, result) -> None:
        if not self.cancelled:
            self.on_done(result)
        self.deleteLater()

    @Slot(object)
    def failed(self, exc) -> None:
        if self.on_failed and not self.cancelled:
            self.on_failed(exc)
        self.deleteLater()


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], object], signals: _Signals):
        super().__init__()
        self.fn, self.signals = fn, signals

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # noqa: BLE001 - handed to the failure callback
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


_keep: set = set()


def run_background(fn: Callable[[], object], on_done: Callable[[object], None],
                   on_failed: Callable[[Exception], None] | None = None, owner: QObject | None = None) -> None:
    signals = _Signals()
    relay = _Relay(on_done, on_failed, owner)
    signals.done.connect(relay.done, Qt.QueuedConnection)
    signals.failed.connect(relay.failed, Qt.QueuedConnection)
    pair = (signals, relay)
    _keep.add(pair)
    relay.destroyed.connect(lambda *_: _keep.discard(pair))
    QThreadPool.globalInstance().start(_Task(fn, signals))
