"""`SlackGateway.invite` against the fake Slack: someone already in the channel is invited, not a failure."""

from __future__ import annotations

import logging

import pytest
from unit.usecases.fakes import ALICE, BOB

from firehouse.errors import SlackFailure
from firehouse.slack.gateway import SlackGateway, make_client


@pytest.fixture
def observed(fake) -> tuple[SlackGateway, list[tuple[str, str]]]:
    """The gateway, and what it tells metrics of each call."""
    calls: list[tuple[str, str]] = []
    gateway = SlackGateway(make_client(token=fake.bot_token, base_url=fake.api_url),
                           on_call=lambda method, outcome: calls.append((method, outcome)))
    return gateway, calls


def test_inviting_a_member_is_done_without_a_warning_and_counted_as_ok(fake, observed, caplog):
    gateway, calls = observed
    room = fake.add_channel("inc-1-refunds", members=[ALICE])
    caplog.set_level(logging.INFO, logger="firehouse.slack.gateway")
    gateway.invite(room, [ALICE, BOB, fake.bot_user_id])
    assert [(c.args["users"], c.error) for c in fake.calls("conversations.invite")] == [
        (f"{ALICE},{BOB},{fake.bot_user_id}", "cant_invite_self")]  # one call; the valid ones were invited
    assert fake.channels[room].members == {fake.bot_user_id, ALICE, BOB}
    assert calls == [("conversations.invite", "ok")]
    assert caplog.records == []


def test_an_invitation_slack_refuses_is_still_a_failure_left_to_the_caller_to_log(fake, observed, caplog):
    gateway, calls = observed
    caplog.set_level(logging.DEBUG, logger="firehouse.slack.gateway")
    room = fake.add_channel("inc-2-refunds", members=[ALICE])
    with pytest.raises(SlackFailure) as failure:
        gateway.invite(room, ["U0NOBODY"])
    assert (failure.value.method, failure.value.error) == ("conversations.invite", "user_not_found")
    assert calls == [("conversations.invite", "error")]
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "firehouse.slack.gateway"] == [
        (logging.DEBUG, "slack conversations.invite failed: user_not_found")]


def test_someone_slack_refuses_among_many_is_named_after_the_others_were_invited(fake, observed):
    gateway, _ = observed
    room = fake.add_channel("inc-3-refunds")
    with pytest.raises(SlackFailure) as failure:
        gateway.invite(room, [ALICE, "U0NOBODY", BOB])
    assert failure.value.error == "user_not_found"
    assert {ALICE, BOB} <= fake.channels[room].members
    assert [c.args["users"] for c in fake.calls("conversations.invite")] == [
        f"{ALICE},U0NOBODY,{BOB}", ALICE, "U0NOBODY", BOB]  # asked again one by one, to say who
