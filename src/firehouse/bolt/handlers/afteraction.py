"""After the incident: follow-up actions (and their buttons and form), the eval fixture, the postmortem, closing."""

from __future__ import annotations

from datetime import date

from firehouse.bolt.handlers.request import Form, Request, Services, changed, changes
from firehouse.commands.afteraction import (
    AddAction,
    DraftPostmortem,
    NoFixture,
    OpenFixtureForm,
    PostmortemNote,
    PublishPostmortem,
    ShowActions,
)
from firehouse.domain.afteraction import PostmortemVersion
from firehouse.slack import afteraction_blocks, blocks
from firehouse.slack.afteraction_blocks import change_modal, read_change_modal, read_fixture_form
from firehouse.slack.gateway import Message
from firehouse.usecases.incidents import Outcome

ChangeForm = tuple[int, str | None, date | None]  # (action id, the owner picked, the due date picked)
FixtureForm = tuple[int, int | None, dict[str, str]]  # (incident id, the snapshot it came from, the fields)


# --- follow-up actions ------------------------------------------------------------------------------


def add_action(command: AddAction, req: Request) -> Message:
    action, outcome = req.services.afteraction.add_action(command, channel=req.channel, by=req.user)
    missing = "" if action.owned else " It needs an owner and a due date before the incident can be closed."
    return blocks.with_problems(f"Added follow-up action #{action.id}.{missing}", outcome.problems)


def show_actions(command: ShowActions, req: Request) -> Message:
    incident, actions = req.services.afteraction.actions(channel=req.channel)
    return afteraction_blocks.actions_message(incident, actions, now=req.services.incidents.clock())


def mark_done(value: str, req: Request) -> Message:
    action = req.services.afteraction.complete(action_id=int(value), by=req.user)
    return Message(text=f"Action #{action.id} is done.")


def open_change_form(value: str, req: Request) -> None:
    req.services.outbound.open_form(req.trigger_id, change_modal(req.services.afteraction.action(int(value))))


def _check_change(form: ChangeForm, services: Services) -> dict[str, str]:
    _, owner, due = form
    return {} if owner or due else {"owner": "Pick an owner, a due date, or both."}


def _change_submitted(form: ChangeForm, req: Request) -> Message:
    action_id, owner, due = form
    action = req.services.afteraction.change_action(action_id=action_id, by=req.user, owner=owner, due=due)
    return Message(text=f"Saved action #{action_id}." if action else f"Action #{action_id} is unchanged.")


CHANGE_FORM = Form(read=read_change_modal, check=_check_change, handle=_change_submitted,
                   where=lambda form, services: None)


# --- the eval fixture ----------------------------------------------------------------------------------


def fixture(command: OpenFixtureForm | NoFixture, req: Request) -> Message | None:
    afteraction = req.services.afteraction
    if isinstance(command, NoFixture):
        return changed(afteraction.no_fixture(command, channel=req.channel, by=req.user))
    draft = afteraction.fixture_draft(channel=req.channel)
    prefill = {"system_prompt": draft.system_prompt, "input": draft.input, "bad_output": draft.bad_output,
               "target": draft.expected}
    req.services.outbound.open_form(req.trigger_id, afteraction_blocks.fixture_form(
        incident_id=draft.incident_id, snapshot_id=draft.snapshot_id, prefill=prefill))
    return None


def _check_fixture(form: FixtureForm, services: Services) -> dict[str, str]:
    fields = form[2]
    if not fields["input"]:
        return {"input": "The failing input is what the release gate replays."}
    if not (fields["target"] or fields["rubric"] or fields["forbidden"]):
        return {"target": "Say what should have happened: a target, a rubric, or strings that must never appear."}
    return {}


def _fixture_submitted(form: FixtureForm, req: Request) -> Message:
    incident_id, snapshot_id, fields = form
    fixture, outcome = req.services.afteraction.add_fixture(
        incident_id=incident_id, by=req.user, user_input=fields["input"], bad_output=fields["bad_output"],
        system_prompt=fields["system_prompt"], target=fields["target"], rubric=fields["rubric"],
        forbidden=fields["forbidden"].splitlines(), tags=[t.strip() for t in fields["tags"].split(",")],
        snapshot_id=snapshot_id)
    return blocks.with_problems(f"Saved eval fixture #{fixture.id}; `firehouse export fixtures` writes it for the"
                                " release gate.", outcome.problems)


FIXTURE_FORM = Form(read=read_fixture_form, check=_check_fixture, handle=_fixture_submitted,
                    where=lambda form, services: services.incidents.incident_by_id(form[0]).channel_id)


# --- the postmortem and closing ------------------------------------------------------------------------


def postmortem(command: DraftPostmortem | PostmortemNote | PublishPostmortem, req: Request) -> Message:
    afteraction = req.services.afteraction
    match command:
        case PostmortemNote():
            return changed(afteraction.note(command, channel=req.channel, by=req.user))
        case PublishPostmortem():
            incident = req.services.incidents.incident_in(req.channel)
            return _published(*afteraction.publish_postmortem(incident_id=incident.id, by=req.user))
    version, problems = afteraction.draft_postmortem(channel=req.channel, by=req.user)
    return blocks.with_problems(f"Drafted the postmortem (version {version.version}): it is in the channel as a"
                                " file.", problems)


def publish_pressed(value: str, req: Request) -> Message:
    """Publish on a draft's message publishes that version, not a later one."""
    incident_id, version = (int(part) for part in value.split(":"))
    return _published(*req.services.afteraction.publish_postmortem(incident_id=incident_id, by=req.user,
                                                                   version=version))


def _published(version: PostmortemVersion, outcome: Outcome) -> Message:
    return blocks.with_problems(f"Published postmortem version {version.version}; sha256 `{version.fingerprint}`.",
                                outcome.problems)


close = changes(lambda services: services.afteraction.close)
