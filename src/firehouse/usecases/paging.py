"""Who comes and who hears: routing rules applied as an incident is declared and reclassified, pages triggered
and resolved with it, acknowledgements coming back, and every change kept for the `[[events]]` subscriptions.

It follows every change (a follower in the pipeline): what a change implies for routing, pages and
notifications is staged in that change's own transaction, and sent after it by `Deliveries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import uuid4

from firehouse.commands.paging import PagePager
from firehouse.domain import routing
from firehouse.domain.drills import LIVE
from firehouse.domain.events import (
    FIREHOUSE,
    CauseChanged,
    ClassChanged,
    Event,
    IncidentDeclared,
    SeverityChanged,
    StatusChanged,
)
from firehouse.domain.firebreaks import FirebreakExecuted, FirebreakLifted
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import Incident
from firehouse.domain.notifications import Published, notification
from firehouse.domain.pages import Page, PageAcknowledged, PageAnswered, PageRequest, PageRequested, PageState
from firehouse.domain.permissions import Action
from firehouse.errors import DomainError, InvalidChange, Missing
from firehouse.store import UnitOfWork
from firehouse.usecases.deliveries import PAGER, Answered, Deliveries, owe_notification, owe_page
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Decision, Outcome, Target, by_id, change, war_room, write

ROUTED_BY = (IncidentDeclared, SeverityChanged, ClassChanged, CauseChanged)
PAGER_STATES = {"acknowledged": PageState.ACKNOWLEDGED, "resolved": PageState.RESOLVED,
                "triggered": PageState.TRIGGERED}


class Repeated(Exception):
    """A webhook delivered before: what it changes is rolled back."""


class Paging:
    """Routing, pages and notifications, over the incidents' pipeline and the deliveries' sender."""

    def __init__(self, *, service: IncidentService, deliveries: Deliveries) -> None:
        self.ctx = service.context
        self.settings = service.settings
        self.clock = service.clock
        self.deliveries = deliveries
        self.ctx.followers.append(self._follow)
        self.ctx.after_save.append(lambda incident: deliveries.wake())
        deliveries.on_answer.append(self._answered)

    # --- by hand ------------------------------------------------------------------------------------------

    def page(self, command: PagePager, *, channel: str, by: str) -> Outcome:
        """Page a configured pager for this incident; a pager already paged and still open is not paged twice."""
        pager = command.pager
        if pager not in self.settings.pagers:
            configured = ", ".join(f"`{name}`" for name in self.settings.pagers)
            raise DomainError(f"`{pager}` is not a pager here. " + (
                f"The pagers are {configured}." if configured else "No pagers are configured ([pagers] in the"
                                                                   " settings)."))

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            incident = target.incident
            if incident.status in (Status.RESOLVED, Status.CLOSED):
                raise InvalidChange(f"The incident is {incident.status}: reopen it to page.")
            page = uow.paging.page(incident.id, pager)
            if page and page.open:
                raise InvalidChange(f"{pager} is already paged for this incident ({page.state} since"
                                    f" {page.paged_at:%H:%M} UTC); `/incident pages` shows who acknowledged.")
            return self._trigger(uow, incident, pager, by=by, message=command.message, page=page)

        return change(self.ctx, war_room(channel), by=by, needs=Action.PAGE, decide=decide)

    def pages(self, *, channel: str) -> tuple[Incident, list[Page]]:
        with self.ctx.unit_of_work() as uow:
            incident = war_room(channel)(uow).incident
            return incident, uow.paging.pages(incident.id)

    # --- what comes back ----------------------------------------------------------------------------------

    def acknowledged(self, *, event_id: str, incident_key: str, state: str, who: str, at: datetime) -> str:
        """A pager says someone acknowledged the page (or resolved it there, or took it back): `recorded`,
        `duplicate` (this webhook came before), `unknown` (no page has that key) or `ignored` (nothing new)."""
        if state not in PAGER_STATES:
            return "ignored"
        with self.ctx.unit_of_work() as uow:
            page = uow.paging.page_by_key(incident_key)
        if page is None:
            return "unknown"

        def decide(uow: UnitOfWork, target: Target[None]) -> Decision[str]:
            if uow.incidents.delivered_before(f"pager:{event_id}"):
                raise Repeated
            found = uow.paging.page_by_key(incident_key)
            new = PAGER_STATES[state]
            if found is None or found.state in (new, PageState.RESOLVED, PageState.FAILED, PageState.SHOWN) or (
                    at < found.paged_at):
                # nothing new; or late: a resolved page stays resolved until the incident reopens, and what
                # happened before the page was last triggered is about the alert before it
                return Decision([], made="ignored")
            found.state = new
            if new is PageState.ACKNOWLEDGED:
                found.acknowledged_by, found.acknowledged_at = who, at
            elif new is PageState.RESOLVED:
                found.resolved_at = at
            uow.paging.save_page(found)
            # The webhook's id is remembered in the same transaction as what it changed (after it: SQLite's
            # savepoint must sit inside a transaction the change began), so a failure leaves both for a retry.
            if not uow.incidents.first_delivery(f"pager:{event_id}", at=self.clock()):
                raise Repeated
            return Decision([PageAcknowledged(at=self.clock(), by=FIREHOUSE, pager=found.pager, state=state, who=who,
                                              moment=at)], made="recorded")

        try:
            return change(self.ctx, by_id(page.incident_id), by=FIREHOUSE, needs=None, decide=decide).made or "ignored"
        except Repeated:
            return "duplicate"  # and what it would have changed is rolled back with it

    def _answered(self, answered: Answered) -> None:
        """A pager's answer to a trigger or a resolve, on the page and (when it matters to people) the timeline:
        taken, refused, given up, or failing the first time (said once; the retries are quiet)."""
        if not answered.destination.startswith(PAGER) or answered.body.get("action") in ("change", "renew"):
            return
        request = PageRequest.from_json(answered.body)
        outcome = answered.outcome
        if outcome == "retrying" and answered.attempts > 1:
            return

        def decide(uow: UnitOfWork, target: Target[None]) -> list[Event]:
            page = uow.paging.page_by_key(request.dedup_key)
            if page is None or page.paged_at != request.started_at:
                return []  # an answer about the page before it was paged again (the incident reopened)
            page.said = answered.answer.text
            # A resolve's answer changes no state: the page was resolved when the resolve was owed, and may have
            # been paged again since (the incident reopened before the pager took the resolve).
            if request.action == "trigger" and page.state is PageState.PAGING and outcome != "retrying":
                page.state = PageState.TRIGGERED if outcome == "sent" else PageState.FAILED
            uow.paging.save_page(page)
            return [PageAnswered(at=self.clock(), by=FIREHOUSE, pager=page.pager, action=request.action,
                                 outcome="failed" if outcome == "given_up" else outcome, said=answered.answer.text)]

        try:
            # tell=False: an answer changes no cadence and no follow-up, so nothing that follows saves needs it
            change(self.ctx, by_id(answered.incident_id), by=FIREHOUSE, needs=None, decide=decide, tell=False)
        except Missing:
            pass  # the incident is gone (a test's database reset): nothing to record it on

    def refresh(self) -> int:
        """Renew each held Alertmanager page of an open incident: Alertmanager ends an alert nobody sends again,
        so the leader renews them every minute, through the deliveries (in order with the page's resolve, and
        never in the leader's way when Alertmanager is down). Returns how many were owed."""
        alertmanagers = [p.name for p in self.settings.pagers.values() if p.kind == "alertmanager"]
        if not alertmanagers:
            return 0

        def renew(uow: UnitOfWork) -> int:
            owed = 0
            for page in uow.paging.held(alertmanagers):
                incident = uow.incidents.get(page.incident_id)
                if incident is None or not incident.status.is_open or any(
                        body.get("dedup_key") == page.dedup_key
                        for _, body in uow.paging.owed(incident.id, PAGER + page.pager)):
                    continue  # over, or something for this page still waits (a renewal Alertmanager has not taken)
                owe_page(uow, self._request(incident, page, "renew"))
                owed += 1
            return owed

        owed = write(self.ctx, renew)
        if owed:
            self.deliveries.wake()
        return owed

    # --- following every change ---------------------------------------------------------------------------

    def _follow(self, uow: UnitOfWork, incident: Incident, events: Sequence[Event]) -> list[Event]:
        followed: list[Event] = []
        # A resolved incident is routed (and paged) when it reopens, not when its severity or class changes.
        if incident.status.is_open and any(isinstance(event, ROUTED_BY) or (
                isinstance(event, StatusChanged) and event.reopened) for event in events):
            followed += self._route(uow, incident)
        for event in events:
            match event:
                case StatusChanged() if not event.status.is_open:  # resolved, or a drill ended (closed at once)
                    self._resolve_pages(uow, incident)
                case StatusChanged() if event.reopened:
                    followed += self._page_again(uow, incident)
                case FirebreakExecuted() | FirebreakLifted():
                    self._change_event(uow, incident, event)
        self._notify(uow, incident, events)
        return followed

    def _route(self, uow: UnitOfWork, incident: Incident) -> list[Event]:
        """Apply each rule that matches now and was not applied before: one timeline entry per rule."""
        now = self.clock()
        followed: list[Event] = []
        for rule in routing.due(self.settings.routing, incident, uow.paging.applied(incident.id)):
            uow.paging.apply(incident.id, rule.remembered_as, at=now)
            paged = [pager for pager in rule.page if uow.paging.page(incident.id, pager) is None]
            followed.append(routing.Routed(at=now, by=FIREHOUSE, rule=rule.name, why=rule.why(), invite=rule.invite,
                                           announce=rule.announce, page=tuple(paged), drill=incident.drill,
                                           pages_live=self._live(uow, incident)))
            for pager in paged:
                self._trigger(uow, incident, pager, by=f"routing {rule.name}", quiet=True)
        return followed

    def _trigger(self, uow: UnitOfWork, incident: Incident, pager: str, *, by: str, message: str = "",
                 page: Page | None = None, quiet: bool = False) -> list[Event]:
        """Page `pager` (again, when `page` is its earlier one: the same dedup key); a drill's page is only shown,
        unless its scenario pages for real."""
        now = self.clock()
        live = self._live(uow, incident)
        again = page is not None
        if page is None:
            page = uow.paging.add_page(Page.new(incident_id=incident.id, pager=pager, by=by, at=now, message=message,
                                                drill=not live))
        else:
            page.state, page.message, page.paged_by, page.paged_at = (
                PageState.PAGING if live else PageState.SHOWN), message, by, now
            page.acknowledged_by = page.acknowledged_at = page.resolved_at = None
            uow.paging.save_page(page)
        if live:
            owe_page(uow, self._request(incident, page, "trigger"))
        return [] if quiet else [PageRequested(at=now, by=by, pager=pager, message=message, again=again,
                                               drill=not live)]

    def _resolve_pages(self, uow: UnitOfWork, incident: Incident) -> None:
        """Owe each open page its resolve, and count it resolved now: reopening before the pager took the resolve
        then pages it again (the trigger is sent after the resolve), and a late acknowledgement is ignored."""
        for page in uow.paging.pages(incident.id):
            if page.open:
                if page.state is PageState.PAGING:  # a trigger still owed would page people after the incident
                    uow.paging.cancel([delivery for delivery, body in uow.paging.owed(incident.id, PAGER + page.pager)
                                       if body.get("dedup_key") == page.dedup_key and body.get("action") == "trigger"],
                                      at=self.clock(), said="not sent: the incident resolved first")
                owe_page(uow, self._request(incident, page, "resolve"))
                page.state, page.resolved_at = PageState.RESOLVED, self.clock()
                uow.paging.save_page(page)

    def _page_again(self, uow: UnitOfWork, incident: Incident) -> list[Event]:
        """Reopening triggers each page the incident's resolution resolved, with the same dedup key."""
        return [event for page in uow.paging.pages(incident.id) if page.state is PageState.RESOLVED
                for event in self._trigger(uow, incident, page.pager, by=FIREHOUSE, message=page.message, page=page)]

    def _change_event(self, uow: UnitOfWork, incident: Incident, event: FirebreakExecuted | FirebreakLifted) -> None:
        """A pulled or lifted firebreak on the timeline of each PagerDuty service that takes change events."""
        if not self._live(uow, incident):
            return
        what = "pulled" if isinstance(event, FirebreakExecuted) else "lifted"
        for pager in self.settings.pagers.values():
            if pager.kind == "pagerduty" and pager.change_events:
                owe_page(uow, PageRequest(
                    action="change", pager=pager.name, dedup_key="", incident_id=incident.id,
                    title=self._title(incident), severity=incident.severity.label.lower(), class_id=incident.class_id,
                    captain=incident.captain, link=war_room_link(incident), at=event.at, started_at=event.at,
                    message=f"Firebreak {event.label} {what}", drill=incident.drill,
                    details={"firebreak": event.label} if incident.private else {"firebreak": event.label,
                                                                                   "answer": event.answer}))

    def _notify(self, uow: UnitOfWork, incident: Incident, events: Sequence[Event]) -> None:
        """Keep each change other systems hear of, and owe it to each subscription that wants its type."""
        for event in events:
            found = notification(event, incident)
            if found is None:
                continue
            published = Published(id=str(uuid4()), incident_id=incident.id, type=found.type, at=event.at,
                                  data=found.data, drill=incident.drill)
            uow.paging.publish(published)
            for subscription in self.settings.events:
                if subscription.wants(found.type):
                    owe_notification(uow, published, subscription.name)

    # --- helpers ------------------------------------------------------------------------------------------

    def _live(self, uow: UnitOfWork, incident: Incident) -> bool:
        """Whether pages really go out: always for a real incident; for a drill, when its scenario says so."""
        if not incident.drill:
            return True
        run = uow.drills.of(incident.id)
        return run is not None and run.scenario.pagers == LIVE

    def _request(self, incident: Incident, page: Page, action: str) -> PageRequest:
        return PageRequest(action=action, pager=page.pager, dedup_key=page.dedup_key, incident_id=incident.id,
                           title=self._title(incident), severity=incident.severity.label.lower(),
                           class_id=incident.class_id, captain=incident.captain, link=war_room_link(incident),
                           at=self.clock(), started_at=page.paged_at, message=page.message, drill=incident.drill)

    @staticmethod
    def _title(incident: Incident) -> str:
        """What a pager is told the incident is called: a private incident's title stays in Slack."""
        return f"Private incident #{incident.id}" if incident.private else incident.title


def war_room_link(incident: Incident) -> str:
    """A link that opens the war room in whichever workspace the reader is signed in to."""
    return f"https://slack.com/app_redirect?channel={incident.channel_id}"
