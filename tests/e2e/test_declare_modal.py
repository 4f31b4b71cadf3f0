"""Bare `/incident` opens the declare modal; its answers propose a severity; submitting declares."""

import json

from slackreq import block_actions, view_submission

from warroom import ALICE, BOB, ROBOT


def open_modal(fake, bot) -> dict:
    before = len(fake.views)
    reply = bot.command("", user=ALICE, channel=fake.general)
    assert reply.status == 200 and reply.body == ""
    opened = fake.wait_for(lambda: fake.views[before:])[0]
    assert opened["method"] == "views.open"
    return opened["view"]


def values(*, title="", class_id="output", answers=(), override=None, reason=None, description=None,
           captain=None) -> dict:
    option = lambda v: {"text": {"type": "plain_text", "text": v}, "value": v}  # noqa: E731
    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "class": {"value": {"type": "static_select", "selected_option": option(class_id)}},
        "questions": {"severity_questions": {"type": "checkboxes",
                                             "selected_options": [option(a) for a in answers]}},
        "severity": {"value": {"type": "static_select", "selected_option": override and option(override)}},
        "override_reason": {"value": {"type": "plain_text_input", "value": reason}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
        "captain": {"value": {"type": "users_select", "selected_user": captain}},
    }


def test_the_modal_asks_for_everything_a_declaration_needs(fake, bot):
    view = open_modal(fake, bot)
    assert view["callback_id"] == "declare"
    block_ids = [b.get("block_id") for b in view["blocks"]]
    assert block_ids == ["title", "class", "questions", "proposal", "severity", "override_reason",
                         "description", "captain"]
    classes = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert classes == ["output", "action", "data", "cost", "gate", "compliance"]
    assert "Proposed severity: SEV3" in view["blocks"][3]["text"]["text"]
    assert json.loads(view["private_metadata"]) == {"channel": fake.general}


def test_answering_the_questions_updates_the_proposed_severity(fake, bot):
    view = open_modal(fake, bot)
    view_id = fake.views[-1]["view_id"]
    for answers, expected in ((["harm"], "SEV2"), (["harm", "legal"], "SEV1"), ([], "SEV3")):
        before = len(fake.views)
        payload = block_actions(
            user_id=ALICE, view={**view, "id": view_id, "hash": None},
            values=values(answers=answers),
            action={"type": "checkboxes", "action_id": "severity_questions", "block_id": "questions",
                    "selected_options": [{"value": a} for a in answers]},
        )
        assert bot.interact(payload).status == 200
        updated = fake.wait_for(lambda: fake.views[before:])[0]
        assert updated["method"] == "views.update"
        assert f"Proposed severity: {expected}" in updated["view"]["blocks"][3]["text"]["text"]
        selected = updated["view"]["blocks"][2]["element"].get("initial_options") or []
        assert [o["value"] for o in selected] == answers


def test_submitting_declares_with_the_proposed_severity_and_the_named_captain(fake, bot):
    view = open_modal(fake, bot)
    submitted = values(title="Claims agent denies valid claims", class_id="action",
                       answers=["harm", "irreversible"], description="Denials sent since 09:10 UTC",
                       captain=BOB)
    reply = bot.interact(view_submission(user_id=ALICE, view=view, values=submitted))
    assert reply.status == 200 and reply.body == ""

    told = fake.wait_for(lambda: [e for e in fake.ephemerals(channel=fake.general, user=ALICE)
                                  if "Claims" in str(e) or "War room" in e["text"]])
    assert f"<@{BOB}> is the fire captain." in told[-1]["text"]
    channel = fake.channel_named(next(c.name for c in fake.channels.values()
                                      if c.name.endswith("claims-agent-denies-valid-claims")))
    assert {ALICE, BOB} <= channel.members
    assert channel.topic == f"SEV1 · action · Fire captain: <@{BOB}> · investigating"
    kickoff = str(fake.wait_for(lambda: fake.messages(channel.id))[0]["blocks"])
    assert "Denials sent since 09:10 UTC" in kickoff


def test_overriding_the_proposal_needs_a_reason_shown_next_to_the_field(fake, bot):
    view = open_modal(fake, bot)
    creates = len(fake.calls("conversations.create"))
    reply = bot.interact(view_submission(user_id=ALICE, view=view,
                                         values=values(title="Judge model drifted", override="sev1")))
    assert reply.status == 200
    assert reply.json() == {"response_action": "errors", "errors": {
        "override_reason": "Say why this is SEV1 when the answers point to SEV3."}}

    reply = bot.interact(view_submission(user_id=ALICE, view=view, values=values(
        title="Judge model drifted", override="sev1", reason="the judge gates the release train")))
    assert reply.body == ""
    fake.wait_for(lambda: len(fake.calls("conversations.create")) > creates)
    channel = fake.wait_for(lambda: next((c for c in fake.channels.values()
                                          if c.name.endswith("judge-model-drifted") and c.topic), None))
    assert channel.topic.startswith("SEV1 · output")


def test_an_empty_title_is_refused_before_anything_happens(fake, bot):
    view = open_modal(fake, bot)
    creates = len(fake.calls("conversations.create"))
    reply = bot.interact(view_submission(user_id=ALICE, view=view, values=values(title="   ")))
    assert reply.json()["errors"] == {"title": "Give the incident a title."}
    assert len(fake.calls("conversations.create")) == creates


def test_a_bot_named_as_captain_is_refused_and_told(fake, bot):
    view = open_modal(fake, bot)
    creates = len(fake.calls("conversations.create"))
    bot.interact(view_submission(user_id=ALICE, view=view, values=values(title="Bot captain", captain=ROBOT)))
    told = fake.wait_for(lambda: [e for e in fake.ephemerals(channel=fake.general, user=ALICE)
                                  if "is a bot" in e["text"]])
    assert told[-1]["text"].startswith(f"<@{ROBOT}> is a bot")
    assert len(fake.calls("conversations.create")) == creates
