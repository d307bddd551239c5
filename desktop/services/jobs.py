"""A long operation's side of progress and cancel, without Qt.

The work receives a ``Job``: it reports ``progress(done, total)`` and polls ``cancelled()`` (or
calls ``check()``, which raises ``Cancelled``). Whoever runs the work reads the job from outside:
the GUI's ``ui.tasks.run_op`` polls ``state`` for its progress dialog and calls ``cancel()`` from
the Cancel button; a command-line caller can pass ``on_progress`` to print.

Cancellation is one exception family: ``concurrent.futures.CancelledError``. The engines
(``maps``, ``reports``, the store's indicators) raise their own subclasses of it, since they
cannot import ``desktop``; ``Cancelled`` below is the one for the application's own work.
"""
from __future__ import annotations

import threading
from concurrent.futures import CancelledError
from typing import Callable

__all__ = ["CancelledError", "Cancelled", "Job"]


class Cancelled(CancelledError):
    """The job was cancelled before its work finished."""


class Job:
    """Progress and cancel flag shared by the worker and whoever started it (thread-safe)."""

    def __init__(self, on_progress: Callable[[int, int | None], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._state: tuple[int, int | None] = (0, None)
        self._on_progress = on_progress

    def progress(self, done: int, total: int | None = None) -> None:
        """``done`` of ``total`` steps; ``total=None`` when the amount of work is not known."""
        self._state = (done, total)  # one reference swap: read whole by the other thread
        if self._on_progress is not None:
            self._on_progress(done, total)

    @property
    def state(self) -> tuple[int, int | None]:
        """The last ``(done, total)`` reported."""
        return self._state

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` once the job is cancelled; a loop calls it between steps."""
        if self._cancel.is_set():
            raise Cancelled()
