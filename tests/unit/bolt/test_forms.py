"""Every form goes one way: checked before the ack (what is wrong shows on its fields, nothing runs), acked,
handled in the background, and the person told privately where the form says; a button the same, after its ack."""

from __future__ import annotations

from datetime import date

import pytest
from unit.usecases.fakes import ALICE, BOB, CAROL

from firehouse.commands.afteraction import AddAction
from firehouse.bolt.handlers import Form, Request
from firehouse.bolt.handlers.afteraction import CHANGE_FORM, FIXTURE_FORM, open_change_form
from firehouse.bolt.handlers.evidence import SNAPSHOT_FORM
from firehouse.bolt.handlers.notices import EDIT_FORM
from firehouse.bolt.handlers.updates import UPDATE_FORM
from firehouse.bolt.listeners.replies import on_button, on_form
from firehouse.domain.lifecycle import Status
from firehouse.errors import InvalidChange
from firehouse.slack.gateway import Message


class RecordingApp:
    """Bolt's `App` as far as the listeners use it: the listener registered per action id and callback id."""

    def __init__(self) -> None:
        self.views: dict[str, object] = {}
        self.actions: dict[object, object] = {}

    def view(self, callback_id: str):
        return lambda listener: self.views.setdefault(callback_id, listener)

    def action(self, action_id: object):
        return lambda listener: self.actions.setdefault(action_id, listener)


class AtOnce:
    """A background that runs the work before returning, so a test sees its end."""

    def run(self, work) -> None:
        work()


class Acks:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs) -> None:
        self.calls.append(kwargs)


def submit(services, form: Form, view: dict, *, user: str = ALICE) -> Acks:
    app, ack = RecordingApp(), Acks()
    on_form(app, services=services, background=AtOnce(), callback_id="form", form=form)
    app.views["form"](ack=ack, body={"user": {"id": user}, "trigger_id": "1.t"}, view=view)
    return ack


def echo_form(handled: list, *, where=lambda value, services: "CROOM") -> Form:
    return Form(read=lambda view: view["text"], check=lambda value, services: {} if value else {"text": "Say it."},
                handle=lambda value, req: handled.append((value, req.user)) or Message(text=f"Got {value}."),
                where=where)


def test_a_form_with_something_wrong_is_answered_on_its_fields_and_nothing_runs(services):
    handled: list = []
    ack = submit(services, echo_form(handled), {"text": ""})
    assert ack.calls == [{"response_action": "errors", "errors": {"text": "Say it."}}]
    assert handled == [] and services.gateway.told == []


def test_a_good_form_is_acked_then_handled_and_the_person_told_where_the_form_says(services):
    handled: list = []
    ack = submit(services, echo_form(handled), {"text": "hello"}, user=BOB)
    assert ack.calls == [{}]
    assert handled == [("hello", BOB)]
    assert services.gateway.told == [("CROOM", BOB, "Got hello.")]


def test_when_where_to_answer_cannot_be_found_the_person_gets_a_direct_message(services):
    def gone(value, services):
        raise InvalidChange("There is no incident #9.")

    submit(services, echo_form([], where=gone), {"text": "hello"})
    assert services.gateway.told == [(None, ALICE, "Got hello.")]


def test_when_the_bot_is_not_in_that_channel_the_person_gets_a_direct_message(services):
    services.gateway.outside.add("CROOM")
    submit(services, echo_form([]), {"text": "hello"})
    assert services.gateway.told == [(None, ALICE, "Got hello.")]


def test_a_button_on_an_ephemeral_reply_acts_in_the_channel_it_was_shown_in(services):
    app, ack, seen = RecordingApp(), Acks(), []
    on_button(app, services=services, background=AtOnce(), action_id="press",
              handle=lambda value, req: seen.append((value, req.user, req.channel, req.trigger_id)) or None)
    body = {"user": {"id": BOB}, "trigger_id": "2.t", "container": {"channel_id": "CPICK"}}
    app.actions["press"](ack=ack, body=body, action={"value": "v"})
    assert ack.calls == [{}] and seen == [("v", BOB, "CPICK", "2.t")]
    assert services.gateway.told == []  # no reply, nothing told


# --- each form's check ---------------------------------------------------------------------------------

FIXTURE = {"system_prompt": "", "input": "Which app?", "bad_output": "Try Rival", "target": "", "rubric": "",
           "forbidden": "", "tags": ""}


@pytest.mark.parametrize(("form", "value", "errors"), [
    (CHANGE_FORM, (1, None, None), {"owner": "Pick an owner, a due date, or both."}),
    (CHANGE_FORM, (1, BOB, None), {}),
    (CHANGE_FORM, (1, None, date(2026, 4, 1)), {}),
    (FIXTURE_FORM, (1, None, {**FIXTURE, "input": ""}),
     {"input": "The failing input is what the release gate replays."}),
    (FIXTURE_FORM, (1, None, FIXTURE), {"target": "Say what should have happened: a target, a rubric, or strings that"
                                                  " must never appear."}),
    (FIXTURE_FORM, (1, None, {**FIXTURE, "forbidden": "Rival"}), {}),
    (UPDATE_FORM, (1, Status.INVESTIGATING, ""), {"impact": "Say what the impact is right now."}),
    (UPDATE_FORM, (1, Status.INVESTIGATING, "Answers name rivals"), {}),
    (EDIT_FORM, (1, ""), {"part_1": "A notice can't be empty."}),
    (SNAPSHOT_FORM, (1, {}), {"output": "Fill in at least one field: the bad output, say."}),
    (SNAPSHOT_FORM, (1, {"output": "Try Rival"}), {}),
])
def test_each_form_says_what_is_wrong_before_the_ack(services, form, value, errors):
    assert form.check(value, services) == errors


# --- the follow-up action's form -------------------------------------------------------------------------

@pytest.fixture
def action_id(services) -> int:
    room = services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident
    action, _ = services.afteraction.add_action(AddAction("Pin the ranker", owner=BOB),
                                                channel=room.channel_id, by=ALICE)
    return action.id


def test_the_change_button_opens_the_form_through_the_outbound_port(services, outbound, action_id):
    req = Request(user=ALICE, channel="", trigger_id="3.t", services=services)
    assert open_change_form(str(action_id), req) is None
    [(trigger_id, view)] = outbound.forms_opened
    assert trigger_id == "3.t" and f'"action": {action_id}' in view.private_metadata


def test_the_change_form_reassigns_and_moves_the_due_date(services, action_id):
    req = Request(user=ALICE, channel="", trigger_id="4.t", services=services)
    assert CHANGE_FORM.handle((action_id, CAROL, date(2026, 4, 1)), req).text == f"Saved action #{action_id}."
    action = services.afteraction.action(action_id)
    assert (action.owner, action.due) == (CAROL, date(2026, 4, 1))
    assert CHANGE_FORM.where((action_id, CAROL, None), services) is None  # told in a direct message


def test_the_change_form_with_the_same_owner_and_no_date_changes_nothing(services, action_id):
    req = Request(user=ALICE, channel="", trigger_id="5.t", services=services)
    assert CHANGE_FORM.handle((action_id, BOB, None), req).text == f"Action #{action_id} is unchanged."
    assert services.afteraction.action(action_id).owner == BOB


# --- the update form -------------------------------------------------------------------------------------

def test_the_update_form_moves_the_status_then_posts_and_answers_in_the_war_room(services):
    room = services.incidents.declare(title="Bot recommends rival products", by=ALICE).incident
    req = Request(user=ALICE, channel="", trigger_id="6.t", services=services)
    reply = UPDATE_FORM.handle((room.id, Status.IDENTIFIED, "Answers name rivals; ranker rolled back"), req)
    assert reply.text.startswith("Update posted to the war room and the stakeholders.")
    assert services.incidents.incident_by_id(room.id).status is Status.IDENTIFIED
    assert UPDATE_FORM.where((room.id, Status.IDENTIFIED, "x"), services) == room.channel_id
