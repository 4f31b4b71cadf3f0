"""Declaring from the command line: the war room opens, briefed, with one fire captain."""

from datetime import UTC, datetime

from warroom import ALICE, BOB

TODAY = datetime.now(UTC).strftime("%Y%m%d")


def test_declare_opens_a_briefed_war_room_and_tells_the_stakeholders(fake, bot, declare):
    room = declare("sev2 output Support bot invents a refund policy")

    channel = room.channel
    assert channel.name == f"inc-{TODAY}-support-bot-invents-a-refund-policy"
    assert not channel.is_private
    assert ALICE in channel.members
    assert channel.topic == f"SEV2 · output · Fire captain: <@{ALICE}> · investigating"

    (kickoff,) = fake.messages(room.id)
    shown = str(kickoff["blocks"])
    for expected in ("SEV2 · Support bot invents a refund policy", f"<@{ALICE}>", "investigating",
                     "Classify", "Contain", "Snapshot before you mutate", "Communicate", "/incident log"):
        assert expected in shown, expected

    announcement = fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders)
                                          if f"<#{room.id}>" in m["text"]])
    assert "Support bot invents a refund policy" in announcement[0]["text"]

    heading, *entries = room.timeline()
    assert "Timeline of Support bot invents a refund policy" in heading
    assert len(entries) == 1
    assert f"*declared* <@{ALICE}>: Declared SEV2 output incident" in entries[0]


def test_declare_defaults_to_sev3_output(fake, declare):
    room = declare("Summaries drift longer since Tuesday")
    assert room.channel.topic.startswith("SEV3 · output ·")


def test_a_class_word_after_the_severity_sets_the_class(declare):
    room = declare("sev1 action Agent issued refunds nobody asked for")
    assert room.channel.topic.startswith("SEV1 · action ·")
    assert room.channel.name.endswith("-agent-issued-refunds-nobody-asked-for")


def test_data_incidents_get_a_private_war_room_and_a_discreet_announcement(fake, declare):
    room = declare("sev1 data Tenant A sees tenant B invoices in answers")
    assert room.channel.is_private
    announcements = fake.wait_for(lambda: [m for m in fake.messages(fake.stakeholders)
                                           if "private SEV1" in m["text"]])
    assert all("invoices" not in str(m) and "data" not in m["text"] for m in announcements)
    assert f"<@{ALICE}>" in announcements[-1]["text"]


def test_a_taken_name_gets_a_suffix(fake, declare):
    first = declare("Voice bot reads out wrong balance")
    second = declare("Voice bot reads out wrong balance")
    assert second.channel.name == first.channel.name + "-2"
    taken = [c for c in fake.calls("conversations.create") if c.error == "name_taken"]
    assert taken and taken[-1].args["name"] == first.channel.name


def test_mentions_in_a_title_never_ping_anyone(fake, declare):
    room = declare("sev2 <!channel> <!here> <!everyone> <!subteam^S123|@oncall> bot leaks prompts")
    posted = [*fake.messages(room.id), *fake.messages(fake.stakeholders)]
    raw = str([m["text"] for m in posted]) + str([m["blocks"] for m in posted]) + room.channel.topic
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<!subteam"):
        assert ping not in raw
    assert "&lt;!channel&gt;" in str(fake.messages(room.id)[0]["blocks"])


def test_list_shows_open_incidents_with_links_to_their_war_rooms(fake, bot, declare):
    room = declare("sev1 cost Agent loop burns the monthly token budget")
    url = fake.new_response_url()
    bot.command("list", user=BOB, channel=fake.general, response_url=url)
    (reply,) = fake.wait_for(lambda: fake.responses(url))
    listed = str(reply["blocks"])
    assert f"<#{room.id}>" in listed
    assert "Agent loop burns the monthly token budget" in listed
    assert listed.index("*SEV1*") < listed.index("*SEV3*")
