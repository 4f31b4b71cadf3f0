"""The table of Slack's errors: each one's class and remedy."""

from __future__ import annotations

import pytest

from firehouse.errors import Remedy, SlackFailure
from firehouse.slack.failures import Failure, classify, reason_of


@pytest.mark.parametrize(("error", "expected"), [
    ("ratelimited", Failure(Remedy.RETRY, "ratelimited")),
    ("http_503", Failure(Remedy.RETRY, "http_5xx")),
    ("http_500", Failure(Remedy.RETRY, "http_5xx")),
    ("unreachable (ConnectTimeout)", Failure(Remedy.RETRY, "unreachable")),
    ("service_unavailable", Failure(Remedy.RETRY, "service_unavailable")),
    ("a_code_slack_adds_next_year", Failure(Remedy.RETRY, "a_code_slack_adds_next_year")),
    ("not_in_channel", Failure(Remedy.JOIN, "not_in_channel")),
    ("is_archived", Failure(Remedy.PERSON, "is_archived")),
    ("channel_not_found", Failure(Remedy.PERSON, "channel_not_found")),
    ("restricted_action_read_only_channel", Failure(Remedy.PERSON, "restricted_action_read_only_channel")),
    ("token_revoked", Failure(Remedy.PERSON, "token_revoked", workspace=True)),
    ("account_inactive", Failure(Remedy.PERSON, "account_inactive", workspace=True)),
    ("missing_scope", Failure(Remedy.PERSON, "missing_scope", workspace=True)),
    ("invalid_auth", Failure(Remedy.PERSON, "invalid_auth", workspace=True)),
    ("msg_too_long", Failure(Remedy.DROP, "msg_too_long")),
    ("invalid_blocks (a section's text must be under 3000 characters)", Failure(Remedy.DROP, "invalid_blocks")),
    ("no_text", Failure(Remedy.DROP, "no_text")),
])
def test_each_error_has_a_class_and_a_remedy(error, expected):
    assert classify(SlackFailure("chat.postMessage", error, channel="C1")) == expected


def test_a_join_that_failed_makes_not_in_channel_a_persons_to_fix():
    refused = SlackFailure("chat.postMessage", "not_in_channel", channel="G1", remedy=Remedy.PERSON)
    assert classify(refused) == Failure(Remedy.PERSON, "not_in_channel")


@pytest.mark.parametrize(("error", "reason"), [
    ("http_429", "http_429"), ("http_404", "http_other"), ("http_502", "http_5xx"),
    ("<html>Bad Gateway</html>", "other"), ("", "other"), ("Fatal Error", "other"),
])
def test_a_reason_is_a_bounded_label(error, reason):
    assert reason_of(error) == reason
