"""One thread that processes stored alert deliveries, one after another, off the request path.

Woken by each accepted delivery and by each of the scheduler leader's rounds, which is also how a delivery
that failed (Slack down) or was left by a killed process gets its next try. It starts with the first wake,
so nothing runs before the board starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class AlertWorker:
    """Runs `drain(keep_going=…)` whenever woken, on a thread of its own; `stop` lets the current delivery finish."""

    def __init__(self, drain: Callable[..., object]) -> None:
        self._drain = drain
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        with self._started:
            if self._stopping.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="firehouse-alerts", daemon=True)
                self._thread.start()
        self._woken.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the delivery in hand; whether the thread ended within `timeout` seconds."""
        with self._started:
            self._stopping.set()
            thread = self._thread
        self._woken.set()
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            self._woken.wait()
            self._woken.clear()
            if self._stopping.is_set():
                return
            try:
                self._drain(keep_going=lambda: not self._stopping.is_set())
            except Exception:  # the database went away mid-batch: the deliveries wait for the next wake
                log.exception("processing alert deliveries failed")
