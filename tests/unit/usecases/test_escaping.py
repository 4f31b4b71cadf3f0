"""User text echoed in an error is escaped where it is quoted: no reply can ping a channel, mention someone
through a forged `<@U…|…>` or make a link, and nothing Firehouse escaped is escaped twice."""

from __future__ import annotations

import re

import pytest
from unit.usecases.fakes import ALICE, RANKER_OFF
from unit.usecases.test_incidents import services_over

from firehouse.bolt.handlers import Request
from firehouse.bolt.listeners.replies import guarded, harmless
from firehouse.bolt.table import parse
from firehouse.domain.times import parse_moment
from firehouse.errors import FirehouseError, InvalidChange, UsageError, echo

GARBAGE = "<!channel> <!here> <@U1|x> & <!subteam^S1|@oncall> <https://evil.example|click>"
BARE_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")

# Every erroring path that quotes what was typed: the grammar's, the domain's and the use cases'.
COMMANDS = [
    f"aware 2h ago {GARBAGE}", f"detected {GARBAGE}", f"aware {GARBAGE}",
    f"sev {GARBAGE}", f"class {GARBAGE}", f"cause {GARBAGE}", f"status {GARBAGE}", f"role {GARBAGE}",
    f"role comms {GARBAGE}", f"captain {GARBAGE}", f"comms {GARBAGE}", f"comms product {GARBAGE}",
    f"comms legal gdpr {GARBAGE}", f"clock {GARBAGE}", f"clock gdpr {GARBAGE}", f"fact {GARBAGE}",
    f"fact {GARBAGE}=x", f"fact ai_act_case={GARBAGE}", f"snapshot {GARBAGE}", f"snapshot a=1 supersedes={GARBAGE}",
    f"snapshot trace=abc source={GARBAGE}", f"snapshot {GARBAGE}=1", f"firebreak {GARBAGE}",
    f"firebreak lift {GARBAGE}", f"firebreak record {GARBAGE} target", f"firebreak ranker-of {GARBAGE}",
    f"action {GARBAGE} due {GARBAGE}", f"action {GARBAGE} {GARBAGE}", f"postmortem {GARBAGE}",
    f"postmortem note {GARBAGE} text", f"close {GARBAGE}", f"fixture {GARBAGE}", "declare sev<!>&",
    f"{GARBAGE}", "aware 2h ago <!channel>", "detected <!here> & <@U1|x>", "action fix it due <!here>&",
    "firebreak lift #<!channel>", "snapshot <!channel>=1", "postmortem note <!here>& text",
]


def assert_harmless(reply: str) -> None:
    assert "<!" not in reply
    assert "<@U1|x>" not in reply and "<https://evil" not in reply
    assert not BARE_AMPERSAND.search(reply), reply
    assert "&amp;lt;" not in reply and "&amp;amp;" not in reply and "&amp;gt;" not in reply  # never twice


def answer(services, channel: str, text: str) -> str:
    """What the person is told, taken before any net: the error's own reply, or the handler's."""
    try:
        parsed = parse(text, catalog=services.incidents.catalog)
    except UsageError as err:
        return err.reply
    if parsed.row.words == "help":
        return parsed.command.problem or ""
    try:
        reply = parsed.row.handle(parsed.command, Request(user=ALICE, channel=channel, trigger_id="1.t",
                                                          services=services))
    except FirehouseError as err:
        return err.reply
    return reply.text if reply else ""


@pytest.fixture
def room(make_service):
    service = make_service(regimes={"gdpr": ("output",)}, firebreaks={"ranker-off": RANKER_OFF})
    incident = service.declare(title="Bot recommends rival products", by=ALICE).incident
    return services_over(service), incident.channel_id


@pytest.mark.parametrize("text", COMMANDS)
def test_an_error_quoting_what_was_typed_can_never_ping_mention_or_link(room, text):
    services, channel = room
    reply = answer(services, channel, text)
    assert reply  # it did answer (an error, or the help's problem)
    assert_harmless(reply)


def test_the_time_in_the_issue_is_echoed_escaped():
    with pytest.raises(ValueError) as refused:
        parse_moment("2h ago <!channel>", now=__import__("datetime").datetime.now(__import__("datetime").UTC))
    assert str(refused.value).startswith("`2h ago &lt;!channel&gt;` is not a time like")


def test_echo_cuts_before_it_escapes_so_no_entity_is_split():
    assert echo("&" * 50) == "&amp;" * 40
    assert echo("<!channel>", 5) == "&lt;!cha"


def test_a_mention_firehouse_writes_itself_still_works_in_an_error():
    reply = guarded(lambda: (_ for _ in ()).throw(InvalidChange(f"<@{ALICE}> is already the fire captain.")))
    assert reply.text == f"<@{ALICE}> is already the fire captain."


def test_the_net_under_the_replies_turns_any_broadcast_into_text():
    def unescaped() -> None:
        raise InvalidChange("`<!here>` slipped through")

    assert guarded(unescaped).text == "`&lt;!here>` slipped through"
    assert harmless("<!channel> & <@U1>") == "&lt;!channel> & <@U1>"
