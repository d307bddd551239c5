"""The Qt-free job a long operation reports to: progress, cancel flag, one cancellation family."""
import threading
from concurrent.futures import CancelledError

import pytest

from desktop.services.jobs import Cancelled, Job


def test_progress_is_kept_and_forwarded():
    told = []
    job = Job(on_progress=lambda done, total: told.append((done, total)))
    assert job.state == (0, None)
    job.progress(3, 10)
    job.progress(4)
    assert job.state == (4, None) and told == [(3, 10), (4, None)]


def test_cancel_from_another_thread_stops_a_loop_at_its_next_check():
    job = Job()
    reached = []
    started = threading.Event()

    def loop():
        for n in range(10_000):
            started.set()
            job.check()
            reached.append(n)
            threading.Event().wait(0.001)

    errors = []
    thread = threading.Thread(target=lambda: _record(loop, errors))
    thread.start()
    assert started.wait(5)
    assert not job.cancelled()
    job.cancel()
    thread.join(5)
    assert not thread.is_alive() and job.cancelled() and len(reached) < 10_000
    assert len(errors) == 1 and isinstance(errors[0], Cancelled) and isinstance(errors[0], CancelledError)


def test_check_is_silent_until_cancelled():
    job = Job()
    job.check()
    job.cancel()
    with pytest.raises(CancelledError):
        job.check()


def _record(fn, errors):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        errors.append(exc)
