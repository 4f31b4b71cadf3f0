"""The "Open a new war room" button an archived war room's direct message carries."""

from __future__ import annotations

import re

from firehouse.bolt.handlers.request import Request
from firehouse.errors import DomainError
from firehouse.slack.blocks import with_problems
from firehouse.slack.gateway import Message

_VALUE = re.compile(r"(\d{1,9}):([A-Z0-9]{1,40})")  # the incident's number and the archived room's channel id


def open_new_war_room(value: str, req: Request) -> Message:
    found = _VALUE.fullmatch(value)
    if found is None:
        raise DomainError("That button does not name an incident's war room; use the one in the latest message.")
    incident_id, archived = int(found[1]), found[2]
    outcome = req.services.destinations.open_new_war_room(incident_id=incident_id, archived=archived, by=req.user)
    return with_problems(f"Opened <#{outcome.made}>: incident #{incident_id} carries on there, and everyone in the"
                         " archived room was invited.", outcome.problems)
