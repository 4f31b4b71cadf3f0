"""Declaring (by command or the declare form), listing, and the changes to an incident's people and state."""

from __future__ import annotations

import json
import logging
from typing import Any

from firehouse.bolt.handlers.request import Form, Request, Services, changes
from firehouse.commands.incidents import (
    Declare,
    ListIncidents,
    OpenDeclareModal,
    ShowRoles,
)
from firehouse.commands.timeline import Log, ShowSummary, ShowTimeline
from firehouse.errors import SlackFailure
from firehouse.slack import blocks
from firehouse.slack.gateway import Message
from firehouse.slack.modals import DeclareForm, declare_modal, read_answers, read_declare_form

log = logging.getLogger(__name__)


# --- anywhere ------------------------------------------------------------------------------------


def open_declare_modal(command: OpenDeclareModal, req: Request) -> None:
    catalog = req.services.incidents.catalog
    req.services.outbound.open_form(req.trigger_id, declare_modal(catalog, origin_channel=req.channel))


def declare(command: Declare, req: Request) -> Message:
    outcome = req.services.incidents.declare(title=command.title, severity=command.severity,
                                             class_id=command.class_id, by=req.user)
    return blocks.declared(outcome.incident, to=req.user, problems=outcome.problems)


def list_incidents(command: ListIncidents, req: Request) -> Message:
    return blocks.incident_list(req.services.incidents.open_incidents(), req.services.afteraction.unlocked())


# --- the declare form --------------------------------------------------------------------------------


def rerender_declare_form(view: dict[str, Any], services: Services) -> None:
    """Re-render the declare form with the severity its new answers point to."""
    origin = json.loads(view.get("private_metadata") or "{}").get("channel")
    answers = read_answers(view.get("state", {}).get("values", {}))
    modal = declare_modal(services.incidents.catalog, origin_channel=origin, answers=answers)
    try:
        services.outbound.update_form(view["id"], modal, hash=view.get("hash"))
    except SlackFailure as failure:
        # hash_conflict means a newer answer already re-rendered the form; the rest is only logged,
        # since the proposal is a hint and submitting still works.
        log.info("declare modal not re-rendered: %s", failure.error)


def _check_declare(form: DeclareForm, services: Services) -> dict[str, str]:
    errors = form.errors()
    if form.class_id not in services.incidents.catalog.classes:
        errors["class"] = "Pick one of the listed classes."
    return errors


def _declare_submitted(form: DeclareForm, req: Request) -> Message:
    outcome = req.services.incidents.declare(
        title=form.title, severity=form.severity, class_id=form.class_id, by=req.user, captain=form.captain,
        description=form.description, proposed=form.proposed, override_reason=form.override_reason,
        reached_users="harm" in form.answers,
    )
    return blocks.declared(outcome.incident, to=req.user, problems=outcome.problems)


DECLARE_FORM = Form(read=read_declare_form, check=_check_declare, handle=_declare_submitted,
                    where=lambda form, services: form.origin_channel)


# --- in a war room: reading -------------------------------------------------------------------------


def show_roles(command: ShowRoles, req: Request) -> Message:
    incidents = req.services.incidents
    return blocks.roles_message(incidents.incident_in(req.channel), incidents.catalog.roles)


def show_summary(command: ShowSummary, req: Request) -> Message:
    return blocks.summary_message(req.services.incidents.incident_in(req.channel))


def show_timeline(command: ShowTimeline, req: Request) -> None:
    req.services.incidents.show_timeline(channel=req.channel, user=req.user)


# --- in a war room: changing ---------------------------------------------------------------------


hand_over = changes(lambda services: services.incidents.hand_over)
assign_role = changes(lambda services: services.incidents.assign_role)
change_severity = changes(lambda services: services.incidents.change_severity)
change_class = changes(lambda services: services.incidents.change_class)
change_cause = changes(lambda services: services.incidents.change_cause)
set_moment = changes(lambda services: services.incidents.set_moment)  # `detected` and `aware`


def log_entry(command: Log, req: Request) -> Message:
    return blocks.logged(req.services.incidents.log(command, channel=req.channel, by=req.user))
