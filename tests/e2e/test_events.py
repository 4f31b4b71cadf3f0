"""Events: the Home tab lists open incidents; :pushpin: copies a war-room message into the timeline."""

from warroom import ALICE, BOB


def test_home_tab_lists_open_incidents_by_severity(fake, bot, declare):
    room = declare("sev1 output Assistant recommends a recalled product")
    private = declare("sev2 compliance Loan model declines by postcode")
    before = len(fake.views)
    assert bot.event({"type": "app_home_opened", "user": BOB, "channel": "D0BOB", "tab": "home"}).status == 200
    published = fake.wait_for(lambda: [v for v in fake.views[before:] if v["method"] == "views.publish"])[0]
    assert published["user_id"] == BOB
    shown = str(published["view"]["blocks"])
    assert "Assistant recommends a recalled product" in shown and f"<#{room.id}>" in shown
    assert "Loan model declines by postcode" not in shown and f"<#{private.id}>" in shown
    assert shown.index("*SEV1*") < shown.index("*SEV2*")


def pushpin(room_id: str, ts: str) -> dict:
    return {"type": "reaction_added", "user": ALICE, "reaction": "pushpin", "item_user": "UBOT",
            "item": {"type": "message", "channel": room_id, "ts": ts}, "event_ts": "1700000000.000200"}


def test_a_pushpin_copies_the_message_into_the_timeline_once_even_when_slack_retries(fake, bot, declare):
    room = declare("sev2 Bot answers in the wrong language")
    kickoff_ts = fake.messages(room.id)[0]["ts"]
    assert bot.event(pushpin(room.id, kickoff_ts), event_id="EvPIN0001").status == 200
    fake.wait_for(lambda: [e for e in fake.ephemerals(channel=room.id, user=ALICE) if "Logged" in e["text"]])
    assert bot.event(pushpin(room.id, kickoff_ts), event_id="EvPIN0001", retry=1).status == 200
    fake.wait_for(lambda: "event EvPIN0001 was handled before" in bot.log())
    lines = room.timeline()
    pinned = [line for line in lines if "*pinned*" in line]
    assert len(pinned) == 1
    assert f"<@{ALICE}>: <@UBOT> wrote: SEV2 output incident: Bot answers in the wrong language" in pinned[0]


def test_other_reactions_and_other_channels_are_ignored(fake, bot, declare):
    room = declare("Search snippet shows internal notes")
    ts = fake.messages(room.id)[0]["ts"]
    bot.event({**pushpin(room.id, ts), "reaction": "eyes"})
    bot.event(pushpin(fake.general, "1.000001"))
    bot.event(pushpin(room.id, ts))  # a real pin, so there is something to wait for
    fake.wait_for(lambda: [e for e in fake.ephemerals(channel=room.id, user=ALICE) if "Logged" in e["text"]])
    assert len([line for line in room.timeline() if "*pinned*" in line]) == 1
    assert not [e for e in fake.ephemerals(channel=fake.general, user=ALICE) if "Logged" in e["text"]]
