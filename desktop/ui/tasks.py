"""Long work off the GUI thread.

``run_background(fn, on_done, on_failed, owner)``: quiet work (a count, points for the map).
``run_op(parent, label, work, on_done, ...)``: work the user waits for, with a progress dialog and
a Cancel button; ``work(job)`` gets a Qt-free ``desktop.services.jobs.Job``.

The callbacks always run on the GUI thread (queued through a relay object that lives there), and
never after their ``owner`` widget is gone (a page rebuilt or closed while the work ran).
"""
from __future__ import annotations

from concurrent.futures import CancelledError
from typing import Callable, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.i18n import Translator
from desktop.services.jobs import Job
from desktop.ui import errors

__all__ = ["Job", "run_background", "run_op"]  # Job: so that pages import one module for their work

T = TypeVar("T")

SHOW_AFTER_MS = 300  # instant work never flashes a dialog
POLL_MS = 100  # how often the dialog reads the job's progress


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
            self._tell(self.signals.failed, exc)
        else:
            self._tell(self.signals.done, result)

    @staticmethod
    def _tell(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # its window closed while the work ran: nobody is left to tell
            pass


_keep: set = set()


def _start(fn: Callable[[], object], relay: QObject) -> None:
    """Run ``fn`` on the thread pool; its outcome reaches ``relay.done``/``relay.failed``, queued.
    The signals object stays referenced until the relay is destroyed (after the outcome)."""
    signals = _Signals()
    signals.done.connect(relay.done, Qt.QueuedConnection)
    signals.failed.connect(relay.failed, Qt.QueuedConnection)
    pair = (signals, relay)
    _keep.add(pair)
    relay.destroyed.connect(lambda *_: _keep.discard(pair))
    QThreadPool.globalInstance().start(_Task(fn, signals))


def run_background(fn: Callable[[], object], on_done: Callable[[object], None],
                   on_failed: Callable[[Exception], None] | None = None, owner: QObject | None = None) -> None:
    _start(fn, _Relay(on_done, on_failed, owner))


class _ProgressDialog(QProgressDialog):
    """A progress dialog that Escape and the window's close button cannot dismiss when the work
    cannot be cancelled (a write in one transaction), and that they cancel otherwise."""

    def __init__(self, label: str, cancel_text: str | None, parent: QWidget | None, cancellable: bool):
        super().__init__(label, cancel_text, 0, 0, parent)
        self.cancellable = cancellable

    def reject(self) -> None:
        if self.cancellable:
            self.canceled.emit()

    def closeEvent(self, event) -> None:
        if self.cancellable:
            super().closeEvent(event)
        else:
            event.ignore()


class _Operation(QObject):
    """One ``run_op`` on the GUI thread: feeds the dialog from the job, dispatches the outcome."""

    def __init__(self, dialog: _ProgressDialog, job: Job, on_done: Callable, on_failed: Callable,
                 on_cancelled: Callable[[], None] | None, owner: QObject | None):
        super().__init__()  # no parent: lives until the outcome arrives, even if the owner goes
        self.dialog: _ProgressDialog | None = dialog
        self.job, self.on_done, self.on_failed, self.on_cancelled = job, on_done, on_failed, on_cancelled
        self.abandoned = self.finished = False
        self._shown: tuple[int, int | None] | None = None
        dialog.canceled.connect(self._user_cancelled)
        dialog.destroyed.connect(self._dialog_destroyed)
        if owner is not None:
            owner.destroyed.connect(self._abandon)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self.timer.start(POLL_MS)

    @Slot()
    def _poll(self) -> None:
        if self.dialog is None or self.job.cancelled():
            return
        state = self.job.state
        if state == self._shown:
            return
        self._shown = state
        done, total = state
        if total:
            if self.dialog.maximum() != total:
                self.dialog.setRange(0, total)
            self.dialog.setValue(max(0, min(done, total)))  # may process events (modal dialog)
        elif self.dialog.maximum() != 0:
            self.dialog.setRange(0, 0)  # busy

    @Slot()
    def _user_cancelled(self) -> None:
        self.job.cancel()
        self.timer.stop()  # a later setValue would show the dialog again

    @Slot()
    def _dialog_destroyed(self) -> None:
        self.dialog = None
        if not self.finished:
            self._abandon()

    @Slot()
    def _abandon(self) -> None:
        """The owner is gone: stop the work, report nothing."""
        self.abandoned = True
        self.job.cancel()
        self._close()

    def _close(self) -> None:
        self.timer.stop()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.reset()  # stops its show-later timer
            dialog.hide()
            dialog.deleteLater()

    def _settle(self) -> bool:
        """Close the dialog; True when the outcome is still wanted."""
        self.finished = True
        self._close()
        self.deleteLater()
        return not self.abandoned

    @Slot(object)
    def done(self, result) -> None:
        if self._settle():
            self.on_done(result)

    @Slot(object)
    def failed(self, exc) -> None:
        if not self._settle():
            return
        if isinstance(exc, CancelledError):
            if self.on_cancelled is not None:
                self.on_cancelled()
        else:
            self.on_failed(exc)


def run_op(parent: QWidget | None, label: str, work: Callable[[Job], T], on_done: Callable[[T], None],
           on_failed: Callable[[Exception], None] | None = None, *, tr: Translator,
           cancellable: bool = True, on_cancelled: Callable[[], None] | None = None,
           owner: QObject | None = None, show_after_ms: int = SHOW_AFTER_MS) -> QProgressDialog:
    """Run ``work(job)`` on the thread pool behind a progress dialog modal to ``parent``'s window.

    The dialog appears only if the work lasts more than ``show_after_ms``; it is determinate once
    the job reports a total, busy otherwise. Cancel sets the job's flag; the work stops at its next
    ``job.cancelled()``/``job.check()``. Then, on the GUI thread and only while ``owner``
    (default: ``parent``) exists: success calls ``on_done(result)``; a ``CancelledError`` (any
    engine's) closes silently and calls ``on_cancelled()``; another failure goes to
    ``on_failed(exc)``, by default to ``ui.errors.show_error``. If the owner goes first, the job is
    cancelled and nothing is called. Returns the dialog (its ``canceled`` signal is the Cancel
    button)."""
    job = Job()
    dialog = _ProgressDialog(label, tr("ui.cancel") if cancellable else None, parent, cancellable)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setAutoReset(False)  # reaching 100 % of one phase must not hide it
    dialog.setMinimumDuration(show_after_ms)
    dialog.setValue(0)  # starts the show-later timer (setMinimumDuration alone does not, before a value)

    def present(exc: Exception) -> None:
        errors.show_error(parent, exc, tr)
    operation = _Operation(dialog, job, on_done, on_failed or present, on_cancelled,
                           owner if owner is not None else parent)
    _start(lambda: work(job), operation)
    return dialog
