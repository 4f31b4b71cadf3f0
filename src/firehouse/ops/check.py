"""One line of `firehouse doctor`'s report, and the harmless question each integration is asked: does it answer."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

SLACK_TIMEOUT = 10  # seconds for one Web API call
REACH_TIMEOUT = 5.0  # seconds at most for an integration to answer


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it passed (None: it could not be checked), and why;
    a warning passed, but says something to look at."""

    name: str
    ok: bool | None
    detail: str
    warning: bool = False

    def __str__(self) -> str:
        mark = "warn" if self.warning else {True: "ok  ", False: "FAIL", None: "skip"}[self.ok]
        return f"{mark}  {self.name:<20} {self.detail}"


def base_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def reach(name: str, url: str, *, timeout: float, method: str = "GET") -> Check:
    """Whether `url` answers HTTP at all: any status will do."""
    try:
        with httpx.Client(timeout=timeout) as client:  # as the executors and trace sources connect
            status = client.request(method, url).status_code
    except httpx.HTTPError as err:
        return Check(name, False, f"{url} did not answer: {reason(err)}")
    return Check(name, True, f"{url} answered{'' if method == 'GET' else ' ' + method} (HTTP {status})")


def reason(err: BaseException) -> str:
    """An exception in one line: its class, and its first line of text."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{err.__class__.__name__}: {text}" if text else err.__class__.__name__
