"""Requests signed and shaped exactly as Slack sends them: slash commands, interactivity, events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

TEAM_ID = "T0FIRE"
APP_ID = "A0FIRE"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Reply:
    status: int
    body: str

    def json(self) -> dict:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """The text of an ack with a message, or the raw body."""
        try:
            return self.json().get("text", "")
        except ValueError:
            return self.body


def sign(secret: str, body: str, timestamp: int) -> str:
    """Slack's v0 signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def post(url: str, body: str, *, secret: str, content_type: str, timestamp: int | None = None,
         signature: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """POST `body` to `url` with Slack's signature headers; returns the status and body, even for 4xx/5xx."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature or sign(secret, body, timestamp),
        **(headers or {}),
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.read().decode())


def slash_command_body(*, text: str, user_id: str, channel_id: str, response_url: str,
                       command: str = "/incident", user_name: str = "someone") -> str:
    """A slash command as Slack sends it: form-encoded."""
    return urllib.parse.urlencode({
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "firehouse-test",
        "channel_id": channel_id,
        "channel_name": "somewhere",
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
    })


def interaction_body(payload: dict) -> str:
    """Interactivity as Slack sends it: form-encoded `payload=<json>`."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def view_submission(*, user_id: str, view: dict, values: dict) -> dict:
    """A `view_submission` payload for a modal `view` (as opened) with the person's input `values`."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "firehouse-test"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
        "view": {**view, "id": view.get("id", "V0000001"), "team_id": TEAM_ID, "state": {"values": values},
                 "hash": view.get("hash", "1.hash")},
        "response_urls": [],
        "is_enterprise_install": False,
    }


def block_actions(*, user_id: str, view: dict, values: dict, action: dict) -> dict:
    """A `block_actions` payload from an element inside a modal."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "firehouse-test"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": view.get("id", "V0000001")},
        "trigger_id": f"{next(_ids)}.{TEAM_ID}.trigger",
        "view": {**view, "id": view.get("id", "V0000001"), "team_id": TEAM_ID, "state": {"values": values},
                 "hash": view.get("hash", "1.hash")},
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        "is_enterprise_install": False,
    }


def event_envelope(event: dict, *, event_id: str | None = None) -> str:
    """An Events API delivery as Slack sends it: a JSON envelope."""
    return json.dumps({
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
        "is_ext_shared_channel": False,
    })
