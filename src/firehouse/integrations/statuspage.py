"""Atlassian Statuspage's REST API v1: a status update opens the page's incident (POST) or updates the one Statuspage
answered before (PATCH), with the state of each component it names. The request is built by a pure function of the
page, the update and the incident; one method sends it, and one function reads the answer:

    2xx with the incident's id     taken: the id, and the incident's shortlink (else its page in Statuspage's manager)
    2xx without an id              not taken, tried again: Statuspage said yes to something we cannot name
    420, 429, 5xx, no answer       not taken, tried again later (`retry`); Statuspage's rate limit answers 420 or 429
    401, 403                       refused: the API key
    404 on an update               refused: the incident is gone from Statuspage
    any other status               refused for good, in Statuspage's own words (its `error`, `errors` or `message`)

`check` is `firehouse doctor`'s harmless look: the page, then its components. Nothing here raises for Statuspage's
failure: it answers instead, in one line people can act on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from firehouse.config.statuspage import StatuspageSettings
from firehouse.domain.statuspage import StatusUpdate
from firehouse.integrations.http import Pooled, shown
from firehouse.usecases.ports import PartnerAnswer

MANAGE_URL = "https://manage.statuspage.io/pages"  # where an incident without a shortlink is seen
RATE_LIMITED = (420, 429)  # Statuspage's reference names both for its rate limit (420 is the older)
COMPONENTS_PER_PAGE = 100  # Statuspage's largest page of components; an unpaginated list is limited to 1 a minute
MAX_COMPONENT_PAGES = 11  # 1,100 components, the most Statuspage lists


@dataclass(frozen=True)
class Call:
    """One request to Statuspage: what it does, where, and with which bytes."""

    method: str
    url: str
    body: bytes
    headers: dict[str, str]


class HttpStatusPages(Pooled):
    """Publishes status updates to Statuspage over one pooled client; `check` is `firehouse doctor`'s look."""

    def send(self, page: StatuspageSettings, update: StatusUpdate, *, incident: str | None,
             components: dict[str, str]) -> PartnerAnswer:
        call = incident_request(page, update, incident=incident, components=components)
        seconds = page.timeout.total_seconds()
        try:
            response = self.client.request(call.method, call.url, content=call.body, headers=call.headers,
                                           timeout=seconds)
        except httpx.TimeoutException:
            return PartnerAnswer(False, f"Statuspage did not answer within {seconds:g} s", retry=True)
        except httpx.HTTPError as err:
            return PartnerAnswer(False, f"could not reach {call.url} ({err.__class__.__name__})", retry=True)
        return answered(page, update, response, incident=incident)

    def check(self, page: StatuspageSettings) -> str | None:
        """A one-line problem, or None: the page is read with the key, then its components, and each component id
        the settings name must be among them."""
        got = self._get(page, f"{page.url}/v1/pages/{page.page_id}")
        if isinstance(got, str):
            return got
        known: set[str] = set()
        wanted = set(page.components.values())
        for number in range(1, MAX_COMPONENT_PAGES + 1):
            got = self._get(page, f"{page.url}/v1/pages/{page.page_id}/components",
                            params={"page": number, "per_page": COMPONENTS_PER_PAGE})
            if isinstance(got, str):
                return got
            listed = _json(got)
            if not isinstance(listed, list):
                return f"Statuspage answered {got.status_code} without a list of page {page.page_id}'s components"
            known |= {str(item.get("id")) for item in listed if isinstance(item, dict)}
            if len(listed) < COMPONENTS_PER_PAGE or wanted <= known:
                break
        missing = [f"{component} (components.{key})" for key, component in page.components.items()
                   if component not in known]
        if missing:
            return f"Statuspage's page {page.page_id} has no component {', '.join(missing)}"
        return None

    def _get(self, page: StatuspageSettings, url: str, *,
             params: dict[str, Any] | None = None) -> httpx.Response | str:
        """Statuspage's 200, or what went wrong in one line."""
        seconds = page.timeout.total_seconds()
        try:
            response = self.client.get(url, params=params, headers=headers(page), timeout=seconds)
        except httpx.TimeoutException:
            return f"Statuspage did not answer within {seconds:g} s"
        except httpx.HTTPError as err:
            return f"could not reach {url} ({err.__class__.__name__})"
        if response.status_code in (401, 403):
            return refused_key(page, response.status_code)
        if response.status_code == 404:
            return f"Statuspage has no page {page.page_id} for this key (404): check page_id"
        if response.status_code != 200:
            return shown(f"Statuspage answered {response.status_code} at {url}: {said(response)}")
        return response


def incident_request(page: StatuspageSettings, update: StatusUpdate, *, incident: str | None,
                     components: dict[str, str]) -> Call:
    """POST a new incident, or PATCH the one Statuspage named. `components` (component id → state) sets each
    component's state and lists them as affected; none given, neither key is sent, so an update leaves them as they
    are. The impact is set when the incident opens and left to people in Statuspage after that."""
    fields: dict[str, Any] = {"name": update.title, "status": str(update.status), "body": update.body}
    if incident is None:
        fields["impact_override"] = update.impact
    fields["deliver_notifications"] = page.notify  # Statuspage's default is true: subscribers hear unless told not
    if components:
        fields["component_ids"] = list(components)
        fields["components"] = dict(components)
    base = f"{page.url}/v1/pages/{page.page_id}/incidents"
    method, url = ("POST", base) if incident is None else ("PATCH", f"{base}/{incident}")
    body = json.dumps({"incident": fields}, separators=(",", ":")).encode("ascii")
    return Call(method, url, body, {**headers(page), "Content-Type": "application/json"})


def headers(page: StatuspageSettings) -> dict[str, str]:
    # "OAuth", exactly so: Statuspage's scheme for its API key (there is no OAuth flow behind it).
    return {"Authorization": f"OAuth {page.api_key}", "Accept": "application/json"}


def answered(page: StatuspageSettings, update: StatusUpdate, response: httpx.Response, *,
             incident: str | None) -> PartnerAnswer:
    """What Statuspage's answer to `incident_request` means."""
    code = response.status_code
    if response.is_success:
        found = _json(response)
        found = found if isinstance(found, dict) else {}
        reference = str(found.get("id") or "")
        if not reference:
            # Taken, perhaps, but a later update could not name it: better to ask again than to lose track.
            return PartnerAnswer(False, f"Statuspage answered {code} without an incident id; will try again",
                                 retry=True)
        link = found.get("shortlink") or f"{MANAGE_URL}/{page.page_id}/incidents/{reference}"
        status = found.get("status") or str(update.status)
        return PartnerAnswer(True, f"Statuspage incident {reference} {status}", reference=reference, link=str(link))
    if code in RATE_LIMITED:
        return PartnerAnswer(False, f"Statuspage is rate limiting this key ({code}); will try again", retry=True)
    if code >= 500:
        return PartnerAnswer(False, f"Statuspage answered {code}; will try again", retry=True)
    if code in (401, 403):
        return PartnerAnswer(False, refused_key(page, code))
    if code == 404 and incident is not None:
        return PartnerAnswer(False, f"Statuspage incident {incident} is gone from page {page.page_id} (404): it was"
                                    " deleted there, so this update was not published; Publish again opens a new"
                                    " one", gone=True)
    if code == 404:
        return PartnerAnswer(False, f"Statuspage has no page {page.page_id} for this key (404): check page_id")
    return PartnerAnswer(False, shown(f"Statuspage refused the update ({code}): {said(response)}"))


def refused_key(page: StatuspageSettings, code: int) -> str:
    named = f" ({page.api_key_env})" if page.api_key_env else ""
    return f"Statuspage refused the API key ({code}): check the variable named by api_key_env{named}"


def said(response: httpx.Response) -> str:
    """Statuspage's own words: its `error` (a text or a list), `errors`, or the `message` its reference documents."""
    answer = _json(response)
    if not isinstance(answer, dict):
        return answer if isinstance(answer, str) else (response.text or response.reason_phrase)
    words = []
    for key in ("error", "errors", "message"):
        value = answer.get(key)
        if isinstance(value, dict):
            value = [f"{field} {problem}" for field, problem in value.items()]
        if isinstance(value, list):
            value = "; ".join(str(item) for item in value)
        if value:
            words.append(str(value))
    return "; ".join(words) or response.text or response.reason_phrase


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
