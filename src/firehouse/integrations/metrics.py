"""Reading a signal's values from a Prometheus-compatible HTTP API (`/api/v1/query_range`, `/api/v1/query`).

Every way a source can fail becomes a `MetricFailure` whose reason is one short line naming the kind of source
("Prometheus did not answer within 5 s"). The reason is plain text, escaped where Slack shows it, and never
holds the source's token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from firehouse.config.signals import MetricSourceSettings
from firehouse.domain.signals import Point, Series
from firehouse.errors import MetricFailure, QueryRefused

MAX_SERIES = 500  # series one query may answer; more is a query that forgot to aggregate
MAX_POINTS = 11_000  # points per series, Prometheus's own limit for a range query
MAX_ERROR = 300  # characters of the source's own error text kept in a reason
KIND_NAMES = {"prometheus": "Prometheus"}


class PrometheusSources:
    """GET the source's query API with the auth header from the environment, and read its answer as `Series`.

    One client serves every query (httpx's is thread-safe): making one per query costs tens of milliseconds of
    CPU, which a board tick reading many signals cannot afford."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.client = httpx.Client(transport=transport)  # `transport`: a test seam, as httpx intends

    def range(self, source: MetricSourceSettings, query: str, *, start: datetime, end: datetime,
              step: timedelta) -> list[Series]:
        """The query's series over [start, end] at `step`, oldest point first."""
        return self._ask(source, "/api/v1/query_range", {
            "query": query, "start": _seconds(start.timestamp()), "end": _seconds(end.timestamp()),
            "step": _seconds(step.total_seconds())})

    def instant(self, source: MetricSourceSettings, query: str) -> list[Series]:
        """The query's value now, one point per series (what `firehouse doctor` runs to try a signal)."""
        return self._ask(source, "/api/v1/query", {"query": query})

    def _ask(self, source: MetricSourceSettings, path: str, params: dict[str, str]) -> list[Series]:
        kind = KIND_NAMES.get(source.kind, source.kind)

        def failure(reason: str, *, refused: bool = False) -> MetricFailure:
            if source.token:
                reason = reason.replace(source.token, "…")
            return (QueryRefused if refused else MetricFailure)(f"{kind} {reason}")

        headers = {"Accept": "application/json"}
        if source.header and source.token:
            headers[source.header] = source.token
        timeout = source.timeout.total_seconds()
        try:
            response = self.client.get(source.url + path, params=params, headers=headers, timeout=timeout)
        except httpx.TimeoutException:
            raise failure(f"did not answer within {timeout:g} s") from None
        except httpx.HTTPError as err:
            raise failure(f"could not be reached ({err.__class__.__name__})") from None
        refusal = _refusal(response)
        if refusal is not None:
            raise failure(f"refused the query: {refusal}", refused=True)
        if not response.is_success:
            raise failure(f"answered HTTP {response.status_code}")
        try:
            found = _series(response.json()["data"])
        except (KeyError, TypeError, ValueError, IndexError, OverflowError, OSError):  # OSError: a moment out of range
            raise failure("sent something that is not a query result") from None
        if len(found) > MAX_SERIES:
            raise failure(f"answered, but the query returned {len(found)} series; narrow it with sum by (...)")
        longest = max((len(s.points) for s in found), default=0)
        if longest > MAX_POINTS:
            raise failure(f"answered, but the query returned {longest} points in a series; ask for a longer step")
        return found


def _refusal(response: httpx.Response) -> str | None:
    """Prometheus's own words when it refuses a query (400 for bad PromQL, 422 when it cannot run it)."""
    if response.status_code not in (200, 400, 422):
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("status") != "error":
        return None
    text = " ".join(str(answer.get("error") or answer.get("errorType") or "no reason given").split())
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"


def _series(data: dict[str, Any]) -> list[Series]:
    """A matrix as it is; a vector or a scalar as one point per series. Anything else raises."""
    match data["resultType"]:
        case "matrix":
            return [Series(_labels(one["metric"]), tuple(_point(p) for p in one["values"]))
                    for one in data["result"]]
        case "vector":
            return [Series(_labels(one["metric"]), (_point(one["value"]),)) for one in data["result"]]
        case "scalar":
            return [Series((), (_point(data["result"]),))]
    raise ValueError(f"not a numeric result: {data['resultType']!r}")


def _labels(metric: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    if not isinstance(metric, dict) or not all(isinstance(v, str) for v in metric.values()):
        raise TypeError("labels are not a map of strings")
    return tuple(sorted(metric.items()))


def _point(pair: list[Any]) -> Point:
    """`[1718000000.5, "0.09"]`: a UTC moment and the value, NaN and ±Inf kept (the domain leaves them out)."""
    at, value = pair
    if not isinstance(value, str):
        raise TypeError("a sample's value is not a string")
    return datetime.fromtimestamp(float(at), UTC), float(value)


def _seconds(value: float) -> str:
    """Unix seconds or a step as Prometheus reads them: `1718000000.25`, `15`."""
    return f"{value:.3f}".rstrip("0").rstrip(".")
