from datetime import UTC, datetime, timedelta

from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.events import TimelineEntry
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.slack import blocks

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)


def incident(**overrides) -> Incident:
    made, _ = Incident.declare(title="Bot <!channel> leaks & lies", severity=Severity.SEV1,
                               incident_class=DEFAULT_CLASSES[overrides.pop("class_id", "output")], by="U1", at=AT)
    made.channel_id = "C1"
    for key, value in overrides.items():
        setattr(made, key, value)
    return made


def test_kickoff_escapes_the_title_and_validates_against_block_kit_limits():
    message = blocks.kickoff(incident(), DEFAULT_CLASSES["output"])
    payload = [b.to_dict() for b in message.blocks]  # to_dict runs slack_sdk's validators
    assert "&lt;!channel&gt; leaks &amp; lies" in str(payload)
    assert "<!channel>" not in str(payload) + message.text


def test_private_announcement_names_no_title_or_class():
    message = blocks.stakeholder_announcement(incident(class_id="data", private=True))
    assert "leaks" not in message.text and "data" not in message.text
    assert "private SEV1 incident" in message.text


def test_timeline_pages_hold_every_entry_in_order_within_limits():
    entries = [TimelineEntry(AT + timedelta(minutes=n), "U1", "log", f"entry {n:03d} " + "z" * 900)
               for n in range(100)]
    pages = blocks.timeline_messages(incident(), entries)
    assert len(pages) > 1
    assert pages[0].text.endswith(f"(1/{len(pages)})")
    text = "\n".join(b.text.text for page in pages for b in page.blocks)
    found = [int(line.split("entry ")[1][:3]) for line in text.splitlines() if "entry " in line]
    assert found == list(range(100))
    for page in pages:
        assert len(page.blocks) <= blocks.MESSAGE_SECTIONS
        for block in page.blocks:
            block.to_dict()


def test_an_entry_longer_than_a_section_is_split_not_lost():
    for length in range(2900, 2906):  # escaping makes the entry longer than one section, at every offset
        huge = "q" * length + "&" * 100
        pages = blocks.timeline_messages(incident(title="plain"), [TimelineEntry(AT, "U1", "log", huge)])
        sections = [b.text.text for page in pages for b in page.blocks]
        assert len(sections) > 1
        text = "".join(sections)
        assert text.count("q") == length and text.count("&amp;") == 100


def test_list_caps_itself_to_one_message():
    many = [incident(title=f"incident {n}") for n in range(blocks.MAX_LISTED + 7)]
    message = blocks.incident_list(many)
    assert "…and 7 more" in str([b.to_dict() for b in message.blocks])


def test_an_alerts_timeline_entry_can_mention_no_one_while_a_persons_keeps_its_mentions():
    at = datetime(2026, 11, 23, 14, 5, tzinfo=UTC)
    entries = [TimelineEntry(at, "firehouse", "alert", "Labels: owner=<@U0OWNER1>, team=<!subteam^S1|@oncall>"),
               TimelineEntry(at, "UALICE", "log", "Paged <@U0OWNER1>")]
    shown = str(blocks.timeline_messages(incident(), entries)[0].blocks)
    assert "owner=&lt;@U0OWNER1&gt;" in shown and "&lt;!subteam" in shown
    assert "Paged <@U0OWNER1>" in shown
