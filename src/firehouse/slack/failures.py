"""Every error Slack answers, in one table: what kind of failure it is and what Firehouse does about it.

- transient (`Remedy.RETRY`): rate limits, 5xx, no answer. slack_sdk's retry handlers try a call again a few
  times; a post still owed is tried again by the outbox with backoff, and given up a day after it was due.
  When Slack itself is not answering (`EVERYWHERE`) nothing is sent for the backoff; another transient error
  (`fatal_error`, a code this table does not know) holds only that post, and its channel's posts after it.
- repairable (`Remedy.JOIN`): `not_in_channel` in a public channel. The gateway joins the channel and posts again,
  once; when the join is refused (a private channel, an archived one), it is a person's to fix.
- needs a person (`Remedy.PERSON`): Slack takes nothing there until someone acts (unarchives the channel, invites
  Firehouse back, grants a scope, restores the token). Posts to that destination wait instead of being retried;
  why is recorded on each post, and people are told once. `workspace` errors are the bot's own token or account:
  every destination waits.
- permanent for this message (`Remedy.DROP`): Slack will never take this message. It is given up at once, and
  the posts after it go on.

An error this table does not know is transient: tried again with backoff, and so given up after a day at most.
No error is retried forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from firehouse.errors import Remedy, SlackFailure

TRANSIENT = frozenset({
    "ratelimited", "rate_limited", "request_timeout", "service_unavailable", "fatal_error", "internal_error",
    "team_added_to_org",  # the workspace is moving into an organisation: Slack answers again once it has
})
# Slack itself is not answering (not one channel, not one message): nothing is sent anywhere for a backoff.
EVERYWHERE = frozenset({"http_5xx", "http_429", "unreachable", "ratelimited", "rate_limited", "service_unavailable",
                        "request_timeout"})
REPAIRABLE = frozenset({"not_in_channel"})
# A person must act on the destination itself.
DESTINATION = frozenset({
    "is_archived", "channel_not_found", "restricted_action", "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel", "ekm_access_denied",
    "team_access_not_granted", "messages_tab_disabled", "cannot_dm_bot",
    "method_not_supported_for_channel_type",  # what a join of a private channel answers
})
# A person must act on the bot: every destination is refused alike.
WORKSPACE = frozenset({
    "token_revoked", "token_expired", "account_inactive", "invalid_auth", "not_authed", "missing_scope",
    "no_permission", "org_login_required", "not_allowed_token_type", "two_factor_setup_required", "access_denied",
    "app_missing_action_url",
})
# The bot-wide errors `auth.test` answers for; the others (a scope, a permission) only a post can try again.
TOKEN = frozenset({"token_revoked", "token_expired", "account_inactive", "invalid_auth", "not_authed",
                   "org_login_required", "two_factor_setup_required"})
PERMANENT = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large", "metadata_must_be_sent_from_app",
    "invalid_arguments", "invalid_arg_name", "invalid_array_arg", "invalid_charset", "invalid_form_data",
    "invalid_post_type", "missing_post_type", "invalid_json", "json_not_object", "as_user_not_supported",
    "cannot_reply_to_message", "duplicate_channel_not_found", "duplicate_message_not_found", "message_limit_exceeded",
    "slack_connect_file_link_sharing_blocked", "slack_connect_canvas_sharing_blocked", "too_many_contact_cards",
    "message_not_found", "cant_update_message", "edit_window_closed",
})
_CODE = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Failure:
    """A classified error: the remedy, a short bounded reason (Slack's code, `http_5xx`, `unreachable`) for logs,
    metrics and the post's record, and whether it is the bot's own (`workspace`) rather than one destination's."""

    remedy: Remedy
    reason: str
    workspace: bool = False

    @property
    def everywhere(self) -> bool:
        """Slack itself did not answer: no channel is tried for a while (else only this post waits)."""
        return self.remedy is Remedy.RETRY and self.reason in EVERYWHERE


def classify(failure: SlackFailure) -> Failure:
    """What `failure` is and what to do about it: what the caller found out wins over the table."""
    reason = reason_of(failure.error)
    if failure.remedy is not None:
        return Failure(failure.remedy, reason, workspace=reason in WORKSPACE)
    if reason in REPAIRABLE:
        return Failure(Remedy.JOIN, reason)
    if reason in DESTINATION:
        return Failure(Remedy.PERSON, reason)
    if reason in WORKSPACE:
        return Failure(Remedy.PERSON, reason, workspace=True)
    if reason in PERMANENT:
        return Failure(Remedy.DROP, reason)
    return Failure(Remedy.RETRY, reason)  # TRANSIENT, and what the table does not know


def is_code(error: object) -> bool:
    """Whether `error` has the shape of Slack's error codes (`not_in_channel`), not of a page's text."""
    return isinstance(error, str) and bool(_CODE.fullmatch(error))


def reason_of(error: str) -> str:
    """Slack's code in `error` ("invalid_blocks (…)" as the gateway words a block slack_sdk would not build,
    "unreachable (ConnectTimeout)", "http_503"), kept to a bounded set for a metric's label."""
    head = error.split(" ", 1)[0]
    if head.startswith("http_"):
        return "http_429" if head == "http_429" else "http_5xx" if head[5:6] == "5" else "http_other"
    return head if _CODE.fullmatch(head) else "other"
