"""Inside a war room: handing over the fire captain, logging, and reading the timeline."""

from warroom import ALICE, BOB, CAROL, GONE, ROBOT


def test_handover_invites_announces_updates_the_topic_and_logs(fake, declare):
    room = declare("sev2 output Search answers cite retracted papers")
    reply = room.run(f"captain <@{BOB}|bob>")
    assert reply == f"Done: Fire captain handed over from <@{ALICE}> to <@{BOB}>."

    assert BOB in room.channel.members
    assert room.channel.topic == f"SEV2 · output · Fire captain: <@{BOB}> · investigating"
    announcement = fake.messages(room.id)[-1]["text"]
    assert f"<@{BOB}> is now the fire captain, taking over from <@{ALICE}>" in announcement
    assert f"Fire captain handed over from <@{ALICE}> to <@{BOB}>" in room.timeline()[-1]


def test_there_is_only_ever_one_captain(declare):
    room = declare("Ranking model demotes verified sellers")
    room.run(f"captain <@{BOB}>")
    room.run(f"captain <@{CAROL}>", user=BOB)
    assert room.channel.topic.count("Fire captain") == 1
    assert f"Fire captain: <@{CAROL}>" in room.channel.topic
    entries = [line for line in room.timeline() if "*captain*" in line]
    assert [e.split("to ")[-1] for e in entries] == [f"<@{BOB}>", f"<@{CAROL}>"]


def test_handover_to_someone_slack_does_not_know_changes_nothing(fake, declare):
    room = declare("Translation drops negations")
    before = len(fake.messages(room.id))
    assert room.run("captain <@UNOBODY>") == "I can't find <@UNOBODY> in this workspace."
    assert room.run(f"captain <@{ROBOT}>").startswith(f"<@{ROBOT}> is a bot")
    assert room.run(f"captain <@{GONE}>").startswith(f"<@{GONE}> is deactivated")
    assert room.run(f"captain <@{ALICE}>") == f"<@{ALICE}> is already the fire captain."
    assert f"Fire captain: <@{ALICE}>" in room.channel.topic
    assert len(fake.messages(room.id)) == before
    assert not [line for line in room.timeline() if "*captain*" in line]


def test_handover_needs_a_mention(declare):
    room = declare("Classifier flags every refund as fraud")
    reply = room.run("captain bob")
    assert "Name one person with an @-mention." in reply
    assert "Usage: `/incident captain @user`" in reply
    assert "Usage" in room.run("captain")


def test_log_appends_entries_that_the_timeline_shows_oldest_first(declare):
    room = declare("Agent emails customers draft replies")
    assert room.run("log paused the outbound email tool", user=BOB).startswith("Logged to the timeline at ")
    room.run("log rolled back prompt v42 → v41")
    lines = room.timeline()
    assert "*declared*" in lines[1]
    assert f"*log* <@{BOB}>: paused the outbound email tool" in lines[2]
    assert f"*log* <@{ALICE}>: rolled back prompt v42 → v41" in lines[3]
    stamps = [line[1:20] for line in lines[1:]]
    assert stamps == sorted(stamps)


def test_log_keeps_user_mentions_but_never_broadcasts(declare):
    room = declare("Moderation lets slurs through in Portuguese")
    room.run(f"log asked <@{CAROL}|carol> for the eval run; <!channel> please stand by & <b>wait</b>")
    line = room.timeline()[-1]
    assert f"asked <@{CAROL}> for the eval run" in line
    assert "&lt;!channel&gt; please stand by &amp; &lt;b&gt;wait&lt;/b&gt;" in line


def test_a_long_timeline_is_split_within_slacks_limits(fake, declare):
    room = declare("Embedding index rebuilt with the wrong tokenizer")
    for n in range(12):
        room.run(f"log step {n:02d} " + "x" * 2900)
    lines = room.timeline()
    pages = [e for e in fake.ephemerals(channel=room.id, user=ALICE) if e["text"].startswith("Timeline of")][-2:]
    assert pages[0]["text"].endswith("(1/2)") and pages[1]["text"].endswith("(2/2)")
    steps = [line.split("step ")[1][:2] for line in lines if "step " in line]
    assert steps == [f"{n:02d}" for n in range(12)]
    for page in pages:
        assert len(page["blocks"]) <= 50
        assert all(len(block["text"]["text"]) <= 3000 for block in page["blocks"])


def test_oversized_and_empty_log_entries_are_refused(declare):
    room = declare("Voice agent reads PINs aloud")
    reply = room.run("log " + "y" * 3001)
    assert "The timeline entry is 3,001 characters long; keep it to 3,000." in reply
    assert "Usage: `/incident log <text>`" in room.run("log")
    assert len(room.timeline()) == 2


def test_help_and_unknown_subcommands_show_the_grammar(fake, bot):
    help_text = bot.command("help", user=ALICE, channel=fake.general).text
    for form in ("/incident declare [sev1|sev2|sev3] [class] <title>", "/incident captain @user",
                 "/incident log <text>", "/incident timeline", "/incident list"):
        assert form in help_text
    unknown = bot.command("frobnicate <!channel>", user=ALICE, channel=fake.general).text
    assert unknown.startswith("I don't know `/incident frobnicate`")
    assert "/incident declare" in unknown
