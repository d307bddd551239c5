"""run_op: the one background operation with a progress dialog, cancel and error reporting."""
import threading
from concurrent.futures import CancelledError

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThreadPool
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from desktop.i18n import Translator
from desktop.services.jobs import Cancelled
from desktop.store.errors import StoreError
from desktop.store.indicators import ComputeCancelled
from desktop.ui.tasks import run_op
from maps.export import ExportCancelled, export_points
from reports.annual import Cancelled as ReportCancelled

TIMEOUT = 10_000


@pytest.fixture
def tr():
    return Translator("fr")


@pytest.fixture
def window(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def no_messages(monkeypatch):
    """Any message box fails the test: cancellation and success are silent."""
    def fail(*args, **kwargs):
        pytest.fail(f"unexpected message box: {args[2:3]}")
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, fail)
    monkeypatch.setattr(QMessageBox, "exec", fail)


class ShowSpy(QObject):
    def __init__(self, widget):
        super().__init__()
        self.shown = False
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Show:
            self.shown = True
        return False


def settle() -> None:
    """Let every worker finish and deliver what it queued for the GUI thread."""
    assert QThreadPool.globalInstance().waitForDone(TIMEOUT)
    QCoreApplication.processEvents()


def test_success_reaches_on_done_on_the_gui_thread_without_flashing_a_dialog(qtbot, window, tr, no_messages):
    results, threads = [], {}

    def work(job):
        threads["work"] = threading.current_thread()
        return 42

    def done(result):
        threads["done"] = threading.current_thread()
        results.append(result)

    dialog = run_op(window, "…", work, done, tr=tr)
    assert not dialog.isVisible()
    spy = ShowSpy(dialog)
    qtbot.waitUntil(lambda: results == [42], timeout=TIMEOUT)
    assert threads["done"] is threading.main_thread() and threads["work"] is not threading.main_thread()
    assert not spy.shown  # instant work: the dialog never appeared
    settle()
    assert results == [42]


def test_progress_reaches_the_dialog_which_shows_after_a_moment(qtbot, window, tr, no_messages):
    release, results = threading.Event(), []

    def work(job):
        job.progress(3, 10)
        release.wait(TIMEOUT / 1000)
        job.progress(7, 10)
        release.clear()
        release.wait(TIMEOUT / 1000)
        return "ok"

    dialog = run_op(window, "Calcul…", work, results.append, tr=tr)
    assert dialog.maximum() == 0 and not dialog.isVisible()  # busy until a total is known
    assert dialog.isModal() or dialog.windowModality() == Qt.WindowModal
    qtbot.waitUntil(lambda: dialog.isVisible() and (dialog.value(), dialog.maximum()) == (3, 10), timeout=TIMEOUT)
    assert dialog.labelText() == "Calcul…"
    release.set()
    qtbot.waitUntil(lambda: dialog.value() == 7, timeout=TIMEOUT)
    release.set()
    qtbot.waitUntil(lambda: results == ["ok"], timeout=TIMEOUT)


def test_failure_is_shown_once_by_the_error_presenter(qtbot, window, tr, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    done = []

    def work(job):
        raise StoreError("disk_full", "No space left on device", path="/tmp/x.pdf")

    run_op(window, "…", work, done.append, tr=tr)
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT)
    settle()
    assert shown == [tr("store.disk_full", path="/tmp/x.pdf") + "\n\n(No space left on device)"] and done == []


def test_a_bug_in_the_work_reaches_on_failed_when_given(qtbot, window, tr, no_messages):
    failures = []

    def work(job):
        raise KeyError("field_code")

    run_op(window, "…", work, lambda r: pytest.fail("no result expected"), failures.append, tr=tr)
    qtbot.waitUntil(lambda: bool(failures), timeout=TIMEOUT)
    assert isinstance(failures[0], KeyError)


def test_cancel_stops_a_long_export_and_is_not_a_failure(qtbot, window, tr, tmp_path, no_messages):
    """A real engine loop (maps.export) polls job.cancelled(); the Cancel button sets it."""
    produced, outcome = [], []
    out = tmp_path / "points.csv"

    def endless_chunks():  # "endless": bounded only so that a failing test cannot hang the run
        pause = threading.Event()
        while len(produced) < TIMEOUT:
            produced.append(1)
            yield [(f"id{len(produced)}", -7.6, 33.5)]
            pause.wait(0.005)

    def work(job):
        return export_points(out, "csv", ("id", "lon", "lat"), endless_chunks(),
                             progress=job.progress, cancelled=job.cancelled)

    dialog = run_op(window, "Export…", work, outcome.append, lambda exc: outcome.append(exc), tr=tr,
                    on_cancelled=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(lambda: dialog.isVisible() and len(produced) > 2, timeout=TIMEOUT)
    assert dialog.maximum() == 0  # no total known: busy
    cancel = dialog.findChild(QPushButton)
    assert cancel is not None and cancel.text() == tr("ui.cancel")
    qtbot.mouseClick(cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT)
    settle()
    assert outcome == ["cancelled"]
    stopped_at = len(produced)
    assert not out.exists() and not list(tmp_path.iterdir())  # the partial file went too
    qtbot.wait(50)
    assert len(produced) == stopped_at  # the loop really ended


@pytest.mark.parametrize("cancelled", [Cancelled, ExportCancelled, ReportCancelled, ComputeCancelled, CancelledError])
def test_every_engine_cancellation_closes_silently(qtbot, window, tr, no_messages, cancelled):
    outcome = []

    def work(job):
        job.progress(1, 4)
        raise cancelled()

    run_op(window, "…", work, outcome.append, outcome.append, tr=tr, on_cancelled=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT)
    settle()
    assert outcome == ["cancelled"]


def test_owner_gone_cancels_the_job_and_calls_nothing(qtbot, tr, no_messages):
    parent = QWidget()
    parent.show()
    started, saw_cancel, calls = threading.Event(), threading.Event(), []

    def work(job):
        started.set()
        for _ in range(TIMEOUT // 10):
            if job.cancelled():
                saw_cancel.set()
                break
            threading.Event().wait(0.01)
        return "late result"  # returned anyway: nobody must receive it

    run_op(parent, "…", work, calls.append, calls.append, tr=tr, on_cancelled=lambda: calls.append("cancelled"))
    assert started.wait(TIMEOUT / 1000)
    with qtbot.waitSignal(parent.destroyed, timeout=TIMEOUT):
        parent.deleteLater()
    qtbot.waitUntil(saw_cancel.is_set, timeout=TIMEOUT)
    settle()
    assert calls == []


def test_owner_other_than_the_parent(qtbot, window, tr, no_messages):
    owner = QObject()
    release, calls = threading.Event(), []

    def work(job):
        release.wait(TIMEOUT / 1000)
        return job.cancelled()

    dialog = run_op(window, "…", work, calls.append, calls.append, tr=tr, owner=owner)
    spy = ShowSpy(dialog)
    with qtbot.waitSignal(owner.destroyed, timeout=TIMEOUT):
        owner.deleteLater()
    release.set()
    settle()
    assert calls == [] and not spy.shown


def test_work_that_cannot_be_cancelled_has_no_cancel_and_ignores_escape(qtbot, window, tr, no_messages):
    release, results = threading.Event(), []

    def work(job):
        job.progress(1, 2)
        release.wait(TIMEOUT / 1000)
        return job.cancelled()

    dialog = run_op(window, "…", work, results.append, tr=tr, cancellable=False)
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    assert dialog.findChild(QPushButton) is None or not dialog.findChild(QPushButton).isVisible()
    qtbot.keyClick(dialog, Qt.Key_Escape)
    dialog.close()
    assert dialog.isVisible()
    release.set()
    qtbot.waitUntil(lambda: bool(results), timeout=TIMEOUT)
    assert results == [False]  # the work ran to its end, never told to stop


def test_escape_cancels_work_that_can_be_cancelled(qtbot, window, tr, no_messages):
    outcome = []

    def work(job):
        for n in range(TIMEOUT // 10):
            job.check()
            job.progress(n, None)
            threading.Event().wait(0.01)
        return "finished"

    dialog = run_op(window, "…", work, outcome.append, tr=tr, on_cancelled=lambda: outcome.append("cancelled"))
    qtbot.waitUntil(dialog.isVisible, timeout=TIMEOUT)
    qtbot.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: bool(outcome), timeout=TIMEOUT)
    assert outcome == ["cancelled"]
