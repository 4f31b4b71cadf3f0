"""The one door to Slack's Web API. Retries 429 (honouring Retry-After) and 5xx via slack_sdk; repairs a post
refused with `not_in_channel` by joining the channel (`slack.failures` says what each error means)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from firehouse.errors import Remedy, SlackFailure
from firehouse.slack.failures import EVERYWHERE, TRANSIENT, classify, is_code
from firehouse.slack.limits import fit_blocks
from firehouse.usecases.ports import Channel, Person

log = logging.getLogger(__name__)
UPLOAD_CHUNK = 1024 * 1024  # bytes of a file read and sent at a time
UPLOAD_TIMEOUT = 300  # seconds for a file's bytes to reach Slack

Observer = Callable[[str, str], None]  # (Web API method, outcome or retry reason): how metrics hear of calls
# What Slack answers to an invitation of someone who is already in the channel (the bot itself always is).
INVITED = ("already_in_channel", "cant_invite_self")


@dataclass(frozen=True)
class Message:
    """A message to post: fallback text (notifications, screen readers) and Block Kit blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def make_client(*, token: str, base_url: str, retries: int = 4, on_retry: Observer | None = None) -> WebClient:
    """A WebClient for `base_url` that retries rate limits, server errors and dropped connections, telling
    `on_retry(method, reason)` before each retry."""
    client = WebClient(token=token, base_url=base_url, timeout=15)
    handlers: list[tuple[RetryHandler, str]] = [
        (ConnectionErrorRetryHandler(max_retry_count=retries), "connection"),
        (RateLimitErrorRetryHandler(max_retry_count=retries), "rate_limited"),
        (ServerErrorRetryHandler(max_retry_count=retries), "server_error"),
    ]
    client.retry_handlers = [h if on_retry is None else _Reported(h, reason=r, report=on_retry) for h, r in handlers]
    return client


class _NotTwice(logging.Filter):
    """slack_sdk logs an ERROR for every answer that is not JSON (a load balancer's 503 page in front of Slack):
    the gateway reports that failure as `http_503`, and the outbox says once that Slack is away."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Failed to decode Slack API response")


logging.getLogger("slack_sdk.web.base_client").addFilter(_NotTwice())


class _Reported(RetryHandler):
    """Retries exactly as `inner` does, reporting each retry first."""

    def __init__(self, inner: RetryHandler, *, reason: str, report: Observer) -> None:
        super().__init__(max_retry_count=inner.max_retry_count, interval_calculator=inner.interval_calculator)
        self.inner, self.reason, self.report = inner, reason, report

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return self.inner._can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None, error: Exception | None = None) -> None:
        self.report(request.url.split("?")[0].rsplit("/", 1)[-1], self.reason)
        self.inner.prepare_for_next_attempt(state=state, request=request, response=response, error=error)


class SlackGateway:
    """Every Web API call Firehouse makes; each failure becomes a SlackFailure with Slack's error code."""

    def __init__(self, client: WebClient, *, on_call: Observer | None = None) -> None:
        self.client = client
        self.on_call = on_call  # told (method, outcome) after each call: ok, error, rate_limited, unreachable

    def create_channel(self, name: str, *, private: bool) -> Channel:
        data = self._call("conversations_create", name=name, is_private=private)
        return Channel(data["channel"]["id"], data["channel"]["name"])

    def invite(self, channel: str, users: Iterable[str]) -> None:
        """Invite people to a channel in one call (Slack takes 1,000; `force` invites the valid ones when others are
        refused); those already there are fine. When Slack refuses someone, each is asked again alone, so that the
        failure raised names the refusal of a person, after everyone else was invited."""
        people = list(dict.fromkeys(users))
        if len(people) > 1:
            try:
                self._call("conversations_invite", channel=channel, users=",".join(people), force=True,
                           done_when=INVITED)
                return
            except SlackFailure:
                pass
        refusals = []
        for user in people:
            try:
                self._call("conversations_invite", channel=channel, users=user, done_when=INVITED)
            except SlackFailure as failure:
                refusals.append(failure)
        if refusals:
            raise refusals[0]

    def join(self, channel: str) -> None:
        self._call("conversations_join", channel=channel)

    def set_topic(self, channel: str, topic: str) -> None:
        self._call("conversations_setTopic", channel=channel, topic=topic)

    def post(self, channel: str, message: Message, *, metadata: dict[str, Any] | None = None) -> str:
        """Post in a channel; returns the message's ts. Refused as not in the channel, Firehouse joins it and
        posts again, once; where it cannot join (a private channel, an archived one), the refusal is a person's
        to fix."""
        post = partial(self._call, "chat_postMessage", channel=channel, text=message.text, blocks=_fitted(message),
                       metadata=metadata)
        try:
            return post()["ts"]
        except SlackFailure as failure:
            if classify(failure).remedy is not Remedy.JOIN:
                raise
            try:
                self.join(channel)
            except SlackFailure as refused:
                log.info("could not join %s to post there: %s", channel, refused.error)
                if classify(refused).reason in TRANSIENT | EVERYWHERE:  # Slack was away a moment: all again later
                    raise
                raise SlackFailure(failure.method, failure.error, channel=channel, remedy=Remedy.PERSON) from None
            log.info("joined %s, which Firehouse had been removed from, to post there", channel)
            return post()["ts"]

    def update(self, channel: str, ts: str, message: Message) -> None:
        """Replace a message the bot posted."""
        self._call("chat_update", channel=channel, ts=ts, text=message.text, blocks=_fitted(message))

    def post_ephemeral(self, channel: str, user: str, message: Message) -> None:
        self._call("chat_postEphemeral", channel=channel, user=user, text=message.text, blocks=_fitted(message))

    def respond(self, respond: Callable[..., object], message: Message) -> None:
        """Answer a slash command privately through its response URL (Bolt's `respond`), fitted like a post."""
        respond(text=message.text, blocks=_fitted(message), response_type="ephemeral")

    def upload(self, channel: str, *, content: str | bytes | None = None, file: Path | None = None, filename: str,
               title: str, comment: str) -> str:
        """Share a file (text, the bytes of an image, or a file on disk) in a channel with a comment; returns the
        file's id.

        slack_sdk's external upload: files.getUploadURLExternal, a POST of the bytes to the URL it returns,
        then files.completeUploadExternal, which shares the file. A failure in any step is a SlackFailure.
        """
        if file is not None:
            return self._upload_file(channel, file, filename=filename, title=title, comment=comment)
        data = self._call("files_upload_v2", channel=channel, content=content, filename=filename, title=title,
                          initial_comment=comment)
        return data["files"][0]["id"]

    def _upload_file(self, channel: str, file: Path, *, filename: str, title: str, comment: str) -> str:
        """The same three steps for a file on disk, its bytes streamed from the disk: slack_sdk's
        `files_upload_v2` reads a whole file into memory, and an evidence pack may be a gigabyte."""
        size = file.stat().st_size
        reserved = self._call("files_getUploadURLExternal", filename=filename, length=size)

        def chunks() -> Iterator[bytes]:
            with file.open("rb") as source:
                while chunk := source.read(UPLOAD_CHUNK):
                    yield chunk

        try:
            response = httpx.post(reserved["upload_url"], content=chunks(), timeout=UPLOAD_TIMEOUT,
                                  headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
        except httpx.HTTPError as err:
            raise SlackFailure("files.upload", f"unreachable ({err.__class__.__name__})") from None
        if not response.is_success:
            raise SlackFailure("files.upload", f"http_{response.status_code}")
        self._call("files_completeUploadExternal", files=[{"id": reserved["file_id"], "title": title}],
                   channel_id=channel, initial_comment=comment)
        return reserved["file_id"]

    def recent_messages(self, channel: str, *, limit: int) -> list[dict[str, Any]]:
        """The channel's newest messages, with the metadata Firehouse attached to its own."""
        data = self._call("conversations_history", channel=channel, limit=limit, include_all_metadata=True)
        return data.get("messages", [])

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message of a channel by its ts, or None when it is gone."""
        data = self._call("conversations_history", channel=channel, latest=ts, inclusive=True, limit=1)
        found = [m for m in data.get("messages", []) if m.get("ts") == ts]
        return found[0] if found else None

    def person(self, user_id: str) -> Person | None:
        """The Slack user, or None when Slack does not know them."""
        try:
            user = self._call("users_info", user=user_id)["user"]
        except SlackFailure as failure:
            if failure.error == "user_not_found":
                return None
            raise
        return Person(user["id"], user.get("name", user["id"]), bool(user.get("is_bot")), bool(user.get("deleted")))

    def check_token(self) -> None:
        """Ask Slack whether the bot's token works (auth.test); SlackFailure if it does not."""
        self._call("auth_test")

    def members(self, channel: str) -> list[str]:
        """Everyone in a channel (an archived one too), page by page."""
        members: list[str] = []
        cursor = ""
        while True:
            data = self._call("conversations_members", channel=channel, limit=1000, cursor=cursor or None)
            members += data.get("members", [])
            cursor = (data.get("response_metadata") or {}).get("next_cursor", "")
            if not cursor:
                return members

    def is_private(self, channel: str) -> bool:
        return bool(self._call("conversations_info", channel=channel)["channel"].get("is_private"))

    def usergroup_members(self, usergroup: str) -> frozenset[str]:
        return frozenset(self._call("usergroups_users_list", usergroup=usergroup).get("users", []))

    def open_view(self, trigger_id: str, view: View) -> None:
        self._call("views_open", trigger_id=trigger_id, view=view)

    def update_view(self, view_id: str, view: View, *, hash: str | None = None) -> None:
        self._call("views_update", view_id=view_id, view=view, hash=hash)

    def publish_home(self, user_id: str, view: View) -> None:
        self._call("views_publish", user_id=user_id, view=view)

    def _call(self, method: str, *, done_when: Collection[str] = (), **kwargs: Any) -> dict[str, Any]:
        """One Web API call. An error in `done_when` means what was asked is already so: an answer, returned
        and counted as ok, not a failure."""
        api_method = method.replace("_", ".", 1)
        outcome = "error"
        try:
            data = getattr(self.client, method)(**kwargs).data
            outcome = "ok"
            return data  # type: ignore[no-any-return]
        except SlackApiError as err:
            data = err.response.data if isinstance(err.response.data, dict) else {}
            error = data.get("error")
            if not is_code(error):  # a proxy's page in front of Slack, which slack_sdk words as the error
                error = f"http_{err.response.status_code}"
            if error in done_when:
                outcome = "ok"
                return data
            outcome = "rate_limited" if err.response.status_code == 429 else "error"
        except SlackObjectFormationError as err:  # slack_sdk would not build a block: nothing was sent
            error = f"invalid_blocks ({str(err)[:150]})"
        except SlackClientError as err:
            error, outcome = f"unreachable ({err.__class__.__name__})", "unreachable"
        except OSError as err:
            error, outcome = f"unreachable ({err.__class__.__name__})", "unreachable"
        finally:
            if self.on_call:
                self.on_call(api_method, outcome)
        # The caller decides how loud a refusal is (`slack.failures`): an outage would otherwise log every call.
        log.debug("slack %s failed: %s", api_method, error)
        raise SlackFailure(api_method, error, channel=kwargs.get("channel") or kwargs.get("channel_id"))


def _fitted(message: Message) -> list[dict] | None:
    """The message's blocks within Slack's limits (`limits.fit_blocks`), so a builder's overshoot never
    loses the whole message; what had to be left out is noted in the message and logged. Where a message
    is fitted as it leaves: every post, update, ephemeral message and command reply passes here (the outbox
    stores what it owes already built the same way, so this finds nothing more to cut)."""
    if not message.blocks:
        return None
    blocks, dropped = fit_blocks(message.blocks)
    if dropped:
        log.warning("part of a message was too long for Slack and was left out: %s", message.text[:80])
    return blocks
