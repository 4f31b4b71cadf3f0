"""The work after an ack runs here, off Bolt's listener pool, so an ack never waits on Slack.

Bolt answers Slack when a listener calls `ack()`, but each listener holds one of a few pool workers
until it returns; a listener that then calls the Web API several times makes every later command
queue for a worker before it can even be acked. Listeners therefore ack and hand the rest to this
executor (sized by `FIREHOUSE_WORKERS`), and return at once.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class Background:
    """A bounded pool of threads for work that talks to Slack or the store after an ack."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="firehouse-work")

    def run(self, work: Callable[[], object]) -> Future:
        """Run `work` soon; an exception it lets through is logged (callers report errors themselves)."""
        future = self._pool.submit(contextvars.copy_context().run, work)  # log lines keep the request's fields
        future.add_done_callback(_log_failure)
        return future

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def _log_failure(future: Future) -> None:
    if not future.cancelled() and (err := future.exception()):
        log.error("background work failed", exc_info=err)
