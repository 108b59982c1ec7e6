"""Analyses a page asks for, worked out in a background thread and kept by their inputs.

A page whose analysis can take more than a moment (survival's fits, the coaching
comparison and the weighted flag rates over every reviewed call) asks for it here with a
key naming everything the result depends on, the data's fingerprint included. A result
already kept answers at once. Otherwise the analysis starts in a thread of this process
and the request waits for it at most the app's ``ANALYSIS_WAIT_SECONDS``; past that the
page says the analysis is being worked out and asks again a moment later (htmx), so no
request holds a server thread for as long as the analysis takes, and a second request for
the same analysis joins the first instead of starting another. At most ``WORKERS``
analyses run at once in a process; others wait their turn.

Each server process keeps its own results: with several processes, each works an analysis
out once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from threading import Lock

from flask import current_app, g

from qa_app.kept import Kept

WORKERS = 2
DEFAULT_WAIT_SECONDS = 1.0

_executor: ThreadPoolExecutor | None = None
_executor_lock = Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="qa-app-analysis")
        return _executor


@dataclass(frozen=True)
class Pending:
    """An analysis still being worked out, and since when (``time.monotonic()``)."""

    started: float

    @property
    def seconds(self) -> int:
        """Whole seconds since the analysis was asked for."""
        return int(time.monotonic() - self.started)


@dataclass
class _Run:
    started: float
    future: Future = field(default_factory=Future)


class Background:
    """The ``size`` most recent results of one page's analysis, by key, and those running."""

    def __init__(self, size: int):
        self.kept = Kept(size)
        self._running: dict[Hashable, _Run] = {}
        # An analysis that raised, until a request is told (it may have stopped waiting).
        self._failed: dict[Hashable, Exception] = {}
        self._lock = Lock()

    def answer(self, key: Hashable, compute: Callable[[], object]):
        """The result for ``key``, or :class:`Pending` while ``compute`` works it out.

        ``compute`` runs in an app context of its own (its own database session); an
        exception it raises is raised here, to the request that asks next.
        """
        value = self.kept.get(key)
        if value is not None:
            return value
        app = current_app._get_current_object()
        with self._lock:
            value = self.kept.get(key)  # finished between the look above and the lock
            if value is not None:
                return value
            if key in self._failed:
                raise self._failed.pop(key)
            run = self._running.get(key)
            if run is None:
                run = _Run(time.monotonic())
                self._running[key] = run
                _pool().submit(self._work, app, key, compute, run)
        wait = app.config.get("ANALYSIS_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)
        try:
            value = run.future.result(timeout=wait)
        except FutureTimeout:
            return Pending(run.started)
        except Exception:
            with self._lock:
                self._failed.pop(key, None)  # this request is the one told
            raise
        return value

    def _work(self, app, key: Hashable, compute: Callable[[], object], run: _Run) -> None:
        try:
            with app.app_context():
                g.statement_timeout = app.config.get("ANALYSIS_STATEMENT_TIMEOUT", 0)
                value = compute()
            self.kept.put(key, value)
        except Exception as exc:  # handed to the request that waits or asks next
            with self._lock:
                self._failed[key] = exc
                self._running.pop(key, None)
            run.future.set_exception(exc)
        else:
            with self._lock:
                self._running.pop(key, None)
            run.future.set_result(value)
