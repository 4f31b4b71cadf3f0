"""Every message Firehouse builds fits Slack's Block Kit limits after escaping and wording, even from the
longest input full of `&<>`; and a message that still cannot be built is never dropped in silence."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, MarkdownTextObject, SectionBlock
from unit.usecases.fakes import ALICE

from firehouse.comms.mrkdwn import escape_keeping_users
from firehouse.domain.afteraction import MAX_ACTION, FollowUp
from firehouse.domain.classes import DEFAULT_CLASSES, Catalog
from firehouse.domain.events import TimelineEntry
from firehouse.domain.firebreaks import Configured, Firebreak, State
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import MAX_DESCRIPTION, MAX_TEXT, MAX_TITLE, Incident
from firehouse.domain.notices import Notice
from firehouse.domain.severity import Severity
from firehouse.domain.snapshots import Snapshot
from firehouse.slack import (
    afteraction_blocks,
    announcements,
    blocks,
    board_blocks,
    evidence_blocks,
    firebreak_blocks,
    notice_blocks,
)
from firehouse.slack.gateway import Message
from firehouse.slack.home import home_view
from firehouse.slack.limits import CUT_NOTE, fit_blocks, pack, problems, shorten, view_problems
from firehouse.slack.modals import declare_modal

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
NASTY = "&<>"  # each becomes 4 or 5 characters once escaped


def nasty(length: int) -> str:
    """`length` characters of the worst text for escaping, with a mention and a broadcast in it."""
    return ("<!channel> <@U1|x> " + (NASTY * length))[:length]


def built(message: Message) -> list[dict]:
    """The blocks as slack_sdk sends them: `to_dict` runs its own validators too."""
    return [b.to_dict() if hasattr(b, "to_dict") else b for b in message.blocks]


def assert_fits(message: Message) -> None:
    payload = built(message)
    assert problems(payload) == []
    assert CUT_NOTE not in str(payload)  # fitted by the builder itself, not by the net
    assert "<!channel>" not in str(payload)


def config_text(length: int) -> str:
    """Text Firehouse's own config or rules supply (checklist items, what is missing): long, not escaped."""
    return (NASTY.replace("<", "(") * length)[:length]


def assert_view_fits(view) -> None:
    assert view_problems(view.to_dict()) == []


@pytest.fixture
def incident() -> Incident:
    made, _ = Incident.declare(title=nasty(MAX_TITLE), severity=Severity.SEV2, incident_class=DEFAULT_CLASSES["output"],
                               by=ALICE, at=AT, description=nasty(MAX_DESCRIPTION))
    made.channel_id, made.id = "C1", 7
    return made


# --- the cases the issue found -------------------------------------------------------------------------


def test_a_severity_change_with_the_longest_reason_fits_in_the_war_room_and_for_stakeholders(incident):
    event = incident.change_severity(Severity.SEV1, by=ALICE, at=AT, reason=nasty(MAX_TEXT))
    for message in (announcements.for_war_room(event, incident, Catalog()),
                    announcements.for_stakeholders(event, incident)):
        assert_fits(message)
        shown = "".join(b["text"]["text"] for b in built(message))
        assert escape_keeping_users(nasty(MAX_TEXT)) in shown  # split, nothing lost


def test_resolving_with_the_longest_summary_and_waiver_fits_everywhere_and_so_does_the_summary_after(incident):
    event = incident.resolve(by=ALICE, at=AT + timedelta(hours=1), summary=nasty(MAX_TEXT), waiver=nasty(MAX_TEXT))
    assert_fits(announcements.for_war_room(event, incident, Catalog()))
    assert_fits(announcements.for_stakeholders(event, incident))
    assert_fits(blocks.summary_message(incident))


def test_the_kickoff_with_the_longest_description_and_title_fits(incident):
    message = blocks.kickoff(incident, DEFAULT_CLASSES["output"])
    assert_fits(message)
    assert "".join(str(b) for b in built(message)).count("&lt;") >= nasty(MAX_DESCRIPTION).count("<")
    assert_fits(blocks.stakeholder_announcement(incident))


# --- the rest of what Firehouse builds -------------------------------------------------------------------


def test_timeline_pages_list_and_facts_fit(incident):
    entries = [TimelineEntry(AT, ALICE, "log", nasty(MAX_TEXT)) for _ in range(40)]
    for page in blocks.timeline_messages(incident, entries):
        assert_fits(page)
    assert_fits(blocks.incident_list([incident] * 40, [(incident, ["postmortem"])] * 40))


def test_snapshots_with_many_long_fields_fit_in_one_message(incident):
    snapshots = [Snapshot(incident_id=7, taken_by=ALICE, taken_at=AT, id=n, fingerprint="f" * 64,
                          fields={f"k{i}": nasty(3000) for i in range(20)}, cut=[nasty(40)] * 20,
                          trace_source=nasty(40), trace_raw="{}")
                 for n in range(1, 60)]
    message = evidence_blocks.snapshots_message(snapshots)
    assert problems(built(message)) == []
    assert "more snapshots than one message holds" in str(built(message))


def test_firebreaks_the_board_the_warning_and_the_reply_fit():
    configured = [Configured(name=f"fb{n}", kind="kill-switch", target=nasty(200), executor="webhook")
                  for n in range(60)]
    pulled = [Firebreak(incident_id=7, kind="kill-switch", target=nasty(200), executor="webhook", requested_by=ALICE,
                        requested_at=AT, name=f"fb{n}", state=State.FAILED if n % 2 else State.EXECUTED,
                        executed_at=AT, answer=nasty(3000), id=n) for n in range(60)]
    board = firebreak_blocks.board(configured=configured, suggested=["fb1"], pulled=pulled,
                                   warnings={"fb1": [nasty(500)]}, cause="prompt", evidence=False)
    assert problems(built(board)) == []
    warned = firebreak_blocks.warned(name="x" * 40, note=nasty(MAX_TEXT), warnings=[config_text(3000)] * 3)
    assert problems(built(warned)) == []  # the note rides in the button's value (data, never shown)
    _, note = firebreak_blocks.read_pull_value(built(warned)[-1]["elements"][1]["value"])
    assert note.endswith("…") and nasty(MAX_TEXT).startswith(note.removesuffix("…"))


def test_follow_ups_forms_and_the_postmortem_message_fit(incident):
    actions = [FollowUp(incident_id=7, text=nasty(MAX_ACTION), kind="prevent", created_by=ALICE, created_at=AT,
                        owner=ALICE, due=date(2026, 12, 1), id=n) for n in range(1, 40)]
    assert_fits(afteraction_blocks.actions_message(incident, actions, now=AT))
    assert_view_fits(afteraction_blocks.change_modal(actions[0]))
    form = afteraction_blocks.fixture_form(incident_id=7, snapshot_id=3,
                                           prefill={key: nasty(10_000) for key in afteraction_blocks.FIXTURE_FIELDS})
    assert_view_fits(form)
    assert form.to_dict()["blocks"][1]["element"]["initial_value"].endswith("…")  # visibly shortened
    assert_fits(afteraction_blocks.postmortem_posted(incident, version=12, to_write=9))
    assert_fits(afteraction_blocks.follow_up_reminder(action=actions[0], incident=incident, days=400))
    assert_fits(afteraction_blocks.lock_nudge(incident=incident, missing=[config_text(300)] * 5))


def test_a_notice_longer_than_a_message_holds_keeps_its_buttons(incident):
    notice = Notice(incident_id=7, lane="legal", template="legal/x", title=nasty(200), text=nasty(200_000),
                    created_by=ALICE, created_at=AT, id=4)
    message = notice_blocks.notice_message(notice, missing=["a"] * 30)
    assert problems(built(message)) == []
    assert built(message)[-1]["type"] == "actions"
    assert "Edit* shows all of it" in str(built(message))


def test_modals_and_the_home_tab_fit(incident):
    catalog = Catalog()
    assert_view_fits(declare_modal(catalog, origin_channel="C1"))
    assert_view_fits(board_blocks.update_modal(incident_id=7, status=Status.INVESTIGATING))
    assert_view_fits(evidence_blocks.snapshot_form(incident_id=7))
    assert_view_fits(home_view([incident] * 100, now=AT, unlocked=[(incident, ["x"])] * 40))


def test_board_posts_fit():
    assert_fits(board_blocks.checklist(captain=ALICE, elapsed="40m", items=[config_text(500)] * 20))
    assert_fits(board_blocks.rendered(f"# {config_text(150)}\n\n" + "\n".join(config_text(900) for _ in range(30))))


# --- shortening and splitting ---------------------------------------------------------------------------


def test_shortening_says_so_and_never_breaks_an_entity_or_a_mention():
    escaped = "&amp;" * 100 + "<@U123ABC>" * 10
    for limit in range(5, 200):
        cut = shorten(escaped, limit)
        assert len(cut) <= limit and cut.endswith("…")
        body = cut.removesuffix("…")
        assert body.count("&") == body.count("&amp;") and body.count("<") == body.count(">")


def test_packing_keeps_every_character_and_whole_entities():
    text = ("word &amp; <@U1> " * 1000).strip()
    chunks = pack([text])
    assert all(len(c) <= 3000 for c in chunks)
    assert "".join(chunks) == text
    assert all(c.count("&") == c.count("&amp;") and c.count("<") == c.count(">") for c in chunks)


# --- the net: a message that cannot be built --------------------------------------------------------------


def unbuildable() -> list[Any]:
    """A message one builder got wrong: a header and a button slack_sdk refuses, a section too long."""
    return [SectionBlock(text=MarkdownTextObject(text="The part that fits.")),
            HeaderBlock(text="h" * 200),
            ActionsBlock(elements=[ButtonElement(text="b" * 100, action_id="x", value="1")]),
            SectionBlock(text=MarkdownTextObject(text="y " * 4000))]


def test_the_net_splits_what_it_can_leaves_out_what_it_cannot_and_says_so():
    fitted, dropped = fit_blocks(unbuildable())
    assert dropped and problems(fitted) == []
    assert fitted[0]["text"]["text"] == "The part that fits."
    assert str(fitted).count(CUT_NOTE) == 1  # one note for the run of left-out blocks
    assert "".join(b["text"]["text"] for b in fitted if b["type"] == "section").count("y") == 4000


def test_the_net_keeps_a_message_within_fifty_blocks():
    fitted, dropped = fit_blocks([SectionBlock(text=MarkdownTextObject(text=str(n))) for n in range(80)])
    assert dropped and len(fitted) == 50 and CUT_NOTE in str(fitted[-1])


def test_a_message_that_cannot_be_built_still_goes_out_and_the_person_is_told(engine, gateway, fake, clock,
                                                                                 monkeypatch, incident):
    """The announcement of a change reaches the war room without the part Slack would refuse, and the reply to
    whoever made the change says a part was left out."""
    from concurrent.futures import ThreadPoolExecutor

    from firehouse.comms.templates import TemplateCatalogue
    from firehouse.config import Settings
    from firehouse.slack.outbound import SlackOutbound
    from firehouse.slack.outbox import Outbox

    room = fake.add_channel("inc-20261123-unbuildable", members=[ALICE])
    incident.channel_id = room
    monkeypatch.setattr(announcements, "for_war_room",
                        lambda event, incident, catalog: Message(text="Changed", blocks=unbuildable()))
    with ThreadPoolExecutor(2) as pool:
        outbound = SlackOutbound(gateway=gateway, outbox=Outbox(engine=engine, gateway=gateway, clock=clock),
                                 settings=Settings(bot_token="xoxb-test-token", signing_secret="secret"),
                                 templates=TemplateCatalogue(), fan_out=pool)
        event = incident.change_severity(Severity.SEV1, by=ALICE, at=AT, reason="")
        told = outbound.publish(incident, [event])

    assert any("too long for Slack and was left out" in problem for problem in told)
    [posted] = fake.messages(room)
    assert "The part that fits." in str(posted["blocks"]) and CUT_NOTE in str(posted["blocks"])
