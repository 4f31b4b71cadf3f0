"""Sending what is owed to pagers and subscriptions: at least once, in order per incident and destination, each
destination in a lane of its own so that a slow or failing one never holds up another (nor Slack's posts).

A delivery is recorded in the transaction of the change that owes it (`owe`), so a crash loses none. The process
that made the change wakes its sender at once; the leader wakes it every few seconds for retries and for what a
crash left. A claim in the row keeps two senders off the same delivery. A repeat after a crash is harmless by
design: a page carries its stable dedup key, a notification its CloudEvents id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from firehouse.config import Settings
from firehouse.domain.notifications import Published
from firehouse.domain.pages import PageRequest
from firehouse.domain.statuspage import StatusUpdate, worst
from firehouse.store import UnitOfWork
from firehouse.store.deliveries import STATUS, DeliveryStore
from firehouse.store.mapping import as_utc
from firehouse.store.tables import DeliveryRow
from firehouse.usecases.ports import Pagers, PartnerAnswer, Receivers, StatusPages

log = logging.getLogger(__name__)

PAGER, EVENTS = "pager:", "events:"
GIVE_UP = timedelta(days=1)  # a delivery still failing a day after it was owed is given up (and counted)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(minutes=10)
CLAIM = timedelta(minutes=2)  # longer than one send with its timeout can take
WRITE_EVERY = 50  # deliveries claimed and written down together: a crash sends at most these again (same ids)
CLAIM_MARGIN = timedelta(seconds=30)  # what is left of a claim when its chunk stops sending (a send's timeout)


@dataclass(frozen=True)
class Answered:
    """One attempt and its answer. `final`: nothing more will be tried (done, refused, or given up)."""

    destination: str
    incident_id: int
    body: dict
    answer: PartnerAnswer
    attempts: int
    final: bool

    @property
    def outcome(self) -> str:
        """sent, retrying, failed (refused for good) or given_up (still failing after a day)."""
        if self.answer.ok:
            return "sent"
        if not self.final:
            return "retrying"
        return "given_up" if self.answer.retry else "failed"


def owe_page(uow: UnitOfWork, request: PageRequest) -> None:
    uow.paging.owe(incident_id=request.incident_id, destination=PAGER + request.pager, body=request.to_json(),
                   at=request.at)


def owe_notification(uow: UnitOfWork, published: Published, subscription: str) -> None:
    uow.paging.owe(incident_id=published.incident_id, destination=EVENTS + subscription,
                   body={"notification": published.id}, at=published.at)


def owe_status(uow: UnitOfWork, update: StatusUpdate) -> None:
    uow.paging.owe(incident_id=update.incident_id, destination=STATUS, body={"update": update.id},
                   at=update.requested_at)


class Deliveries:
    """Sends owed deliveries; `wake` from any thread, `start` and `stop` once."""

    def __init__(self, *, engine: Engine, settings: Settings, pagers: Pagers, receivers: Receivers,
                 clock: Callable[[], datetime], status_pages: StatusPages | None = None, lanes: int = 8) -> None:
        self.settings = settings
        self.pagers = pagers
        self.receivers = receivers
        self.status_pages = status_pages
        self.clock = clock
        self.store = DeliveryStore(engine)
        self.on_answer: list[Callable[[Answered], object]] = []  # told of every attempt: pages, metrics
        self._lanes = ThreadPoolExecutor(lanes, thread_name_prefix="firehouse-delivery")
        self._running: set[str] = set()  # destinations with a lane at work
        self._lock = threading.Lock()
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._telling: ThreadPoolExecutor | None = None  # None until started: answers are told in the lane

    def start(self) -> None:
        # Answers are recorded (a page's on the timeline and in the war room) in order, off the lanes: a lane waits
        # on its pager or receiver only, never on Slack.
        self._telling = ThreadPoolExecutor(1, thread_name_prefix="firehouse-answers")
        self._thread = threading.Thread(target=self._run, name="firehouse-deliveries", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()
        if self._thread:
            self._thread.join(timeout=5)
        self._lanes.shutdown(wait=True, cancel_futures=True)
        if self._telling:
            self._telling.shutdown(wait=True)

    def wake(self) -> None:
        """Look for due deliveries now (off the caller's thread)."""
        self._woken.set()

    def sweep(self) -> int:
        """Start a lane for every destination with due work and no lane running; returns how many started."""
        started = 0
        for destination, rows in self._grouped().items():
            with self._lock:
                if destination in self._running or not self._due(rows):
                    continue
                self._running.add(destination)
            self._lanes.submit(self._lane, destination, rows)
            started += 1
        return started

    def prune(self, *, older_than: timedelta) -> int:
        """Forget deliveries settled more than `older_than` ago (the notifications stay, for a replay)."""
        return self.store.prune(before=self.clock() - older_than)

    def drain(self) -> None:
        """Send everything due now, in this thread, lane by lane: for tests and for a process about to stop."""
        for destination, rows in self._grouped().items():
            self._send_lane(destination, rows)

    # --- a lane -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._woken.wait()
            self._woken.clear()
            if self._stopping.is_set():
                return
            try:
                self.sweep()
            except Exception:  # the store is away: the leader wakes this again in a few seconds
                log.warning("deliveries: could not look for due deliveries", exc_info=True)

    def _lane(self, destination: str, rows: list[DeliveryRow]) -> None:
        try:
            sent = self._send_lane(destination, rows)
        except Exception:
            log.warning("deliveries to %s stopped", destination, exc_info=True)
            sent = 0
        finally:
            with self._lock:
                self._running.discard(destination)
        if sent:
            self.wake()  # what became due while this lane was busy

    def _send_lane(self, destination: str, rows: list[DeliveryRow]) -> int:
        """Send one destination's due deliveries in order; an incident whose delivery is not sent (not due, held
        elsewhere, or failing) sends nothing after it. Returns how many were sent."""
        now = self.clock()
        ready: list[DeliveryRow] = []
        waiting: set[int] = set()
        for row in rows:  # each incident's rows in order, up to the first that must wait
            if row.incident_id in waiting or as_utc(row.next_at) > now or (
                    row.claimed_until and as_utc(row.claimed_until) >= now):
                waiting.add(row.incident_id)
            else:
                ready.append(row)
        blocked: set[int] = set()
        sent = 0
        for start in range(0, len(ready), WRITE_EVERY):
            if self._stopping.is_set():
                break
            chunk = [row for row in ready[start:start + WRITE_EVERY] if row.incident_id not in blocked]
            sent += self._send_chunk(destination, chunk, blocked)
        return sent

    def _send_chunk(self, destination: str, chunk: list[DeliveryRow], blocked: set[int]) -> int:
        """Claim up to WRITE_EVERY deliveries in one statement, send them while the claim lasts, write down what was
        taken in one statement, and give back the claims not tried: no claim runs out while its delivery is in
        flight, so no other sender takes it. Incidents whose delivery was not sent join `blocked`."""
        now = self.clock()
        until = now + CLAIM
        claimed = self.store.claim_many([row.id for row in chunk], now=now, until=until)
        notifications = self._as_they_stand(chunk, claimed)
        taken: list[tuple[DeliveryRow, PartnerAnswer]] = []
        untried: list[int] = []
        for row in chunk:
            if row.id not in claimed:
                blocked.add(row.incident_id)
            elif row.incident_id in blocked or self._stopping.is_set() or self.clock() >= until - CLAIM_MARGIN:
                blocked.add(row.incident_id)
                untried.append(row.id)
            elif (answer := self._send(destination, row, notifications)).ok:
                taken.append((row, answer))
            else:
                self._failed(destination, row, answer)
                blocked.add(row.incident_id)
        self._taken(destination, taken)
        self.store.release(untried)
        return len(taken)

    def _as_they_stand(self, chunk: list[DeliveryRow], claimed: set[int]) -> dict[str, Published]:
        """The notifications these deliveries carry, each marked private when its incident is private now: one
        reclassified as `data` since keeps its title and texts from subscriptions not allowed them."""
        rows = [row for row in chunk if row.id in claimed and "notification" in row.body]
        found = self.store.notifications([row.body["notification"] for row in rows])
        private = self.store.private_incidents({row.incident_id for row in rows})
        return {key: privately(published) if published.incident_id in private else published
                for key, published in found.items()}

    def _send(self, destination: str, row: DeliveryRow, notifications: Mapping[str, Published]) -> PartnerAnswer:
        kind, _, name = destination.partition(":")
        try:
            if destination == STATUS:
                return self._publish(row)
            if kind + ":" == PAGER:
                pager = self.settings.pagers.get(name)
                if pager is None:
                    return PartnerAnswer(False, f"the pager {name} is no longer configured")
                return self.pagers.send(pager, PageRequest.from_json(row.body))
            subscription = next((s for s in self.settings.events if s.name == name), None)
            found = notifications.get(row.body.get("notification", ""))
            if subscription is None or found is None:
                return PartnerAnswer(False, f"the subscription {name} is no longer configured" if subscription is None
                                     else "the notification is gone")
            answer = self.receivers.send(subscription, found)
            # receivers dedupe by id: any failure of theirs is retried (a subscription gone is not)
            return answer if answer.ok or answer.retry else PartnerAnswer(False, answer.text, retry=True)
        except Exception as err:  # a bug or a broken body must not stop the lane for good
            log.warning("delivery %s to %s raised", row.id, destination, exc_info=True)
            return PartnerAnswer(False, f"could not send ({err.__class__.__name__})", retry=True)

    def _publish(self, row: DeliveryRow) -> PartnerAnswer:
        """Send a status update to Statuspage: open its incident, or update the one opened before. Components of
        classes the incident was published under before go back to operational."""
        page = self.settings.status_page.statuspage
        found = self.store.status_update(row.body["update"])
        if page is None or self.status_pages is None or found is None:
            return PartnerAnswer(False, "Statuspage is no longer configured" if found else "the update is gone")
        update, opened, before, others = found
        states = {}
        for class_id in {*before, update.class_id} & set(page.components):  # as Firehouse's own page computes it
            held = [state for other, state in others if other == class_id]
            mine = [update.component_state] if class_id == update.class_id else []
            states[page.components[class_id]] = worst([*held, *mine])
        answer = self.status_pages.send(page, update, incident=opened, components=states)
        if answer.gone:  # deleted in Statuspage: the next update opens a new incident there
            self.store.forget_statuspage_incident(update.incident_id)
        if answer.ok:
            try:
                self.store.taken(update.id, reference=answer.reference or opened, link=answer.link)
            except Exception:  # taken all the same: sending it again would open a second incident
                log.warning("could not write down Statuspage's incident for update %s", update.id, exc_info=True)
        return answer

    def _taken(self, destination: str, taken: list[tuple[DeliveryRow, PartnerAnswer]]) -> None:
        """Write down what was taken, in one statement, then tell whoever listens."""
        if not taken:
            return
        self.store.done_many([(row.id, answer.text) for row, answer in taken], at=self.clock())
        for row, answer in taken:
            self._told(Answered(destination, row.incident_id, row.body, answer, row.attempts + 1, final=True))

    def _failed(self, destination: str, row: DeliveryRow, answer: PartnerAnswer) -> None:
        """Record a failure: tried again after its backoff, or given up (refused for good, or failing for a day)."""
        now = self.clock()
        attempts = row.attempts + 1
        given_up = not answer.retry or now - as_utc(row.created_at) >= GIVE_UP
        if given_up:
            self.store.settle(row.id, said=answer.text, given_up_at=now)
            log.error("gave up delivering to %s for incident %s after %d attempts: %s", destination, row.incident_id,
                      attempts, answer.text)
        else:
            self.store.settle(row.id, said=answer.text, next_at=now + backoff(attempts))
            if attempts == 1:
                log.warning("delivery to %s for incident %s failed, retrying: %s", destination, row.incident_id,
                            answer.text)
        self._told(Answered(destination, row.incident_id, row.body, answer, attempts, final=given_up))

    def _told(self, answered: Answered) -> None:
        if self._telling:
            self._telling.submit(self._tell, answered)
        else:
            self._tell(answered)

    def _tell(self, answered: Answered) -> None:
        for each in self.on_answer:
            try:
                each(answered)
            except Exception:  # recording a page's answer failed: the delivery itself is settled
                log.warning("could not record the answer of %s for incident %s", answered.destination,
                            answered.incident_id, exc_info=True)

    def _due(self, rows: list[DeliveryRow]) -> bool:
        now = self.clock()
        return any(as_utc(row.next_at) <= now for row in rows)

    def _grouped(self) -> dict[str, list[DeliveryRow]]:
        grouped: dict[str, list[DeliveryRow]] = {}
        for row in self.store.pending():
            grouped.setdefault(row.destination, []).append(row)
        return grouped


def privately(published: Published) -> Published:
    """`published` as a private incident's: its subscriptions see its texts only when allowed them."""
    incident = {**published.data.get("incident", {}), "private": True}
    return replace(published, data={**published.data, "incident": incident})


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s, … up to 10 minutes between tries (the doubling stops there: 5 s × 2⁴⁵ overflows)."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), LONGEST_RETRY)
