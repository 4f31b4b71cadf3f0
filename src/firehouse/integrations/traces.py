"""Fetching a trace by id from a configured trace source (Langfuse, Arize Phoenix, any JSON endpoint)."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from firehouse.config.integrations import TraceSourceSettings
from firehouse.errors import PartnerFailure, echo


class HttpTraceSources:
    """GET the source's URL with the trace id filled in, and the auth header from the environment."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self.transport = transport  # a test seam, as httpx intends

    def fetch(self, source: TraceSourceSettings, trace_id: str) -> str:
        url = source.url.replace("{trace_id}", quote(trace_id, safe=""))
        headers = {"Accept": "application/json"}
        if source.header and source.token:
            headers[source.header] = source.token
        try:
            with httpx.Client(timeout=source.timeout.total_seconds(), transport=self.transport) as client:
                response = client.get(url, headers=headers)
        except httpx.TimeoutException:
            raise PartnerFailure(f"The trace source `{source.name}` did not answer within"
                                 f" {source.timeout.total_seconds():g} s; nothing was recorded.") from None
        except httpx.HTTPError as err:
            raise PartnerFailure(f"I couldn't reach the trace source `{source.name}`"
                                 f" ({err.__class__.__name__}); nothing was recorded.") from None
        if response.status_code == 404:
            raise PartnerFailure(f"The trace source `{source.name}` has no trace `{echo(trace_id, 80)}`; nothing was recorded.")
        if response.status_code >= 400:
            raise PartnerFailure(f"The trace source `{source.name}` answered HTTP {response.status_code}"
                                 f" for `{echo(trace_id, 80)}`; nothing was recorded.")
        try:
            document = json.loads(response.text)
        except ValueError:
            raise PartnerFailure(f"The trace source `{source.name}` sent something that is not JSON for"
                                 f" `{echo(trace_id, 80)}`; nothing was recorded.") from None
        if _empty(document):  # some sources answer an unknown id with 200 and an empty list
            raise PartnerFailure(f"The trace source `{source.name}` has no trace `{echo(trace_id, 80)}`; nothing was recorded.")
        return response.text


def _empty(node: object) -> bool:
    """Whether a JSON document holds nothing but empty lists, empty objects and nulls."""
    if isinstance(node, dict):
        return all(_empty(value) for value in node.values())
    if isinstance(node, list):
        return all(_empty(value) for value in node)
    return node is None
