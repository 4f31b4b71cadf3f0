"""What every handler takes: the request (who, where, and the services they can reach), and how a form is handled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from firehouse.comms.mrkdwn import escape_keeping_users
from firehouse.slack import blocks
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment
from firehouse.usecases.destinations import Destinations
from firehouse.usecases.drills import Drills
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.evidence_pack import EvidencePacks
from firehouse.usecases.incidents import IncidentService, Outcome
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.paging import Paging
from firehouse.usecases.ports import Outbound
from firehouse.usecases.signals import Signals
from firehouse.usecases.stats import Stats
from firehouse.usecases.statuspage import StatusDesk
from firehouse.usecases.updates import Updates

F = TypeVar("F")


@dataclass(frozen=True)
class Services:
    """The use cases the Slack edge calls, and the gateway the listeners answer people with."""

    incidents: IncidentService
    updates: Updates
    notices: NoticeDesk
    evidence: Evidence
    containment: Containment
    afteraction: AfterAction
    stats: Stats
    drills: Drills
    signals: Signals
    paging: Paging
    statuspage: StatusDesk
    packs: EvidencePacks
    destinations: Destinations  # when Slack takes no posts in a war room or the stakeholder channel
    gateway: SlackGateway

    @property
    def outbound(self) -> Outbound:
        """The use cases' port to Slack: handlers open forms and share charts through it, never the gateway."""
        return self.incidents.outbound


@dataclass(frozen=True)
class Request:
    """Who typed the command, pressed the button or submitted the form, where, and what they can reach."""

    user: str
    channel: str
    trigger_id: str
    services: Services

    @classmethod
    def of_button(cls, body: dict[str, Any], services: Services) -> Request:
        """A button's press; an ephemeral reply's button has no channel, only its container's."""
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        return cls(user=body["user"]["id"], channel=channel, trigger_id=body.get("trigger_id", ""), services=services)

    @classmethod
    def of_form(cls, body: dict[str, Any], services: Services) -> Request:
        """A form's submission: it comes from no channel."""
        return cls(user=body["user"]["id"], channel="", trigger_id=body.get("trigger_id", ""), services=services)


@dataclass(frozen=True)
class Form(Generic[F]):
    """A form's handling: `read` the view into a value, `check` it before the ack (field → what is wrong),
    `handle` it after, and say `where` to tell the person (None: a direct message)."""

    read: Callable[[dict[str, Any]], F]
    check: Callable[[F, Services], dict[str, str]]
    handle: Callable[[F, Request], Message]
    where: Callable[[F, Services], str | None]


# --- replies ---------------------------------------------------------------------------------------


def updated(outcome: Outcome) -> Message:
    """The confirmation of a status update, with when the next one is due."""
    event = outcome.events[0]
    due = f" The next update is due at {event.next_due:%H:%M} UTC." if event.next_due else ""
    return blocks.with_problems(f"Update posted to the war room and the stakeholders.{due}", outcome.problems)


def changes(use_case: Callable[[Services], Callable[..., Outcome]]) -> Callable[[Any, Request], Message]:
    """The handler of a command that changes the war room's incident: the command goes to its use case as it
    was parsed, with who and where, and the reply confirms the timeline entries it made."""
    def handle(command: Any, req: Request) -> Message:
        return changed(use_case(req.services)(command, channel=req.channel, by=req.user))
    return handle


def changed(outcome: Outcome) -> Message:
    """The confirmation of a change: its timeline entries, then whatever Slack refused."""
    done = "; ".join(escape_keeping_users(event.timeline_entry().text) for event in outcome.events)
    return blocks.with_problems(f"Done: {done}.", outcome.problems)
