"""Who a user is, asked of Slack once a minute at most: an alert storm or a busy war room looks a person up once."""

from __future__ import annotations

from unit.usecases.fakes import ALICE

from firehouse.bootstrap import build
from firehouse.config import Settings


def test_a_person_is_asked_of_slack_once_and_someone_not_found_every_time(engine, gateway, clock, fake):
    services, board = build(Settings(bot_token=fake.bot_token, signing_secret="s"), engine=engine, gateway=gateway,
                            clock=clock)
    outbound = services.incidents.outbound
    try:
        assert outbound.person(ALICE).name == outbound.person(ALICE).name == "alice"
        assert outbound.person("U0NOBODY") is None and outbound.person("U0NOBODY") is None
        asked = [call.args.get("user") for call in fake.calls("users.info")]
        assert asked == [ALICE, "U0NOBODY", "U0NOBODY"]
    finally:
        services.incidents.outbound.fan_out.shutdown()
