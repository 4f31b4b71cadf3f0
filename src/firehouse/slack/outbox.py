"""Posts owed to Slack, delivered at least once and, with Slack's help, exactly once, in order per channel.

A post is stored in the same transaction as the decision that owes it, already claimed by the process
that made the decision (claimed for a while and stamped `attempted_at`), so on the happy path that one
transaction is the only write before the send. Slack's confirmation (`sent_at`, `ts`) is kept in
memory and written with the next transaction this process makes anyway, or by the leader's next
round a few seconds later. A row attempted but never confirmed (the bot died in between) is looked up
in the channel's history by the metadata every post carries before it is sent again, once its claim
has run out, so a crash neither loses nor doubles a post. That metadata is the row's `key`, a UUID, not
its id: ids repeat across databases, and another deployment posting into the same stakeholder channel
(or this one before a database reset) must never have its post taken for ours. Two senders never hold
the same row: a sweep takes a row only by one atomic update of its claim.

What Slack refuses is handled as `slack.failures` classifies it. Transient: the post waits, and no post is
tried again before a backoff (in memory: after an outage this process tries again within half a minute).
Needs a person: the destination is recorded (`blocked_destination`, once, with one ERROR line and the
`on_blocked` hooks told), its posts wait without calls, and one is tried again on a slow backoff. Permanent:
the post is given up and the channel's next posts go on. A post still owed a day after it was due is given
up. A post of a kind that says again what an earlier unsent one said (`SUPERSEDES`) gives that one up when
it is recorded, so after an outage each incident catches up with at most one of each kind; people's own
updates are never superseded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.engine import Engine
from sqlmodel import Session

from firehouse.errors import Remedy, SlackFailure
from firehouse.slack.failures import TOKEN, Failure, classify, reason_of
from firehouse.slack.gateway import Message, SlackGateway
from firehouse.slack.limits import fit_blocks
from firehouse.store.destinations import WORKSPACE, DestinationStore
from firehouse.store.mapping import as_utc
from firehouse.store.outbox import OutboxStore, Sent
from firehouse.store.tables import DestinationRow, OutboxRow

log = logging.getLogger(__name__)

METADATA_EVENT = "firehouse_post"
CLAIM = timedelta(minutes=2)  # longer than a send with all its retries can take
GIVE_UP = timedelta(days=1)  # a post still owed this long after it was due is given up
AWAY_FIRST, AWAY_LONGEST = timedelta(seconds=5), timedelta(seconds=30)  # backoff after Slack did not answer
POST_LONGEST = timedelta(minutes=10)  # the longest one post waits after Slack answered it with a transient error
PROBE_FIRST, PROBE_LONGEST = timedelta(minutes=1), timedelta(minutes=30)  # a destination that needs a person
# A post of the key's kind says again, and says it now, what an unsent post of these kinds said: prompts and
# reminders ask for the update a person's update gives; "no new information" is said again by the next one.
SUPERSEDES: dict[str, frozenset[str]] = {
    "prompt": frozenset({"prompt"}),
    "reminder": frozenset({"prompt", "reminder"}),
    "silence": frozenset({"silence"}),
    "update": frozenset({"prompt", "reminder", "silence"}),
}


# The inverse: what supersedes a post of the key's kind, asked once more as it is about to be sent.
SUPERSEDED_BY: dict[str, frozenset[str]] = {
    kind: frozenset(later for later, kinds in SUPERSEDES.items() if kind in kinds)
    for kind in {kind for kinds in SUPERSEDES.values() for kind in kinds}}


class Sending(Enum):
    """What became of one post: sent, given up (the channel's next posts go on), waiting (they wait too), or
    halted (Slack, or the bot's token, refuses every channel: the sweep stops)."""

    SENT = "sent"
    FOUND = "found"  # an earlier attempt had reached Slack: taken, though nothing was posted now
    DROPPED = "dropped"
    WAITING = "waiting"
    HALTED = "halted"


def post_metadata(row: OutboxRow) -> dict:
    """What a post carries in Slack to be recognised after a crash: its row's key, and nothing that repeats
    across databases (the previous release's `outbox_id`, which that release would match, is left out)."""
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_key": row.key}}


def is_post_of(message: dict, row: OutboxRow) -> bool:
    """Whether `message` in the channel is `row`'s post: by key only. A post by the previous release carries
    only its row id, which is not proof (another database's row may have it), so it never matches."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == METADATA_EVENT and payload.get("outbox_key") == row.key


@dataclass
class Done:
    """What one channel's turn did: posts taken (sent now, or found sent before), posts sent now, and why it
    stopped (None: nothing more was owed there)."""

    sent: int = 0
    posted: int = 0
    stopped: Sending | None = None


class Outbox:
    """Records, sends and confirms owed posts; safe to call from several threads at once."""

    def __init__(self, *, engine: Engine, gateway: SlackGateway, clock: Callable[[], datetime],
                 tell_in: Executor | None = None) -> None:
        """`tell_in`: where the `on_blocked` and `on_cleared` hooks run (they make changes that post); None runs
        them on the sender's thread, as the in-process tests want."""
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        self._store = OutboxStore(engine)
        self.destinations = DestinationStore(engine)
        self._lock = threading.Lock()
        self._confirmed: list[Sent] = []  # sent, not yet written down
        self._away_until: datetime | None = None  # Slack failed for a moment: nothing is sent before then
        self._away_failures = 0
        self._channels: dict[str, threading.RLock] = {}  # channel → the lock of its sending in this process
        self._holding: set[int] = set()  # rows this process recorded and will send itself, in their channel's turn
        self._tell_in = tell_in
        self.on_sent: list[Callable[[str, datetime, datetime], object]] = []  # told (kind, due, sent) per post
        self.on_given_up: list[Callable[[str], object]] = []  # told the reason of each post given up
        # told (channel, reason) once, when a destination first needs a person (channel `*`: the bot's token)
        self.on_blocked: list[Callable[[str, str], object]] = []
        self.on_cleared: list[Callable[[str], object]] = []  # told (channel) when Slack takes posts there again

    def add(self, session: Session, incident_id: int, owed: Iterable[tuple[str, str, Message, datetime]]
            ) -> list[OutboxRow]:
        """Record (kind, channel, message, due) posts in the caller's transaction, claimed by this process,
        together with the confirmations still waiting to be written; what they supersede is given up."""
        now = self.clock()
        rows = self._rows(incident_id, owed, now=now)
        superseded = self._store.record(session, rows, self._take_confirmed(), supersedes=SUPERSEDES, now=now)
        with self._lock:
            self._holding.update(row.id for row in rows)
        for _ in range(superseded):
            self._tell(self.on_given_up, "superseded")
        return rows

    @staticmethod
    def _rows(incident_id: int, owed: Iterable[tuple[str, str, Message, datetime]], *, now: datetime
              ) -> list[OutboxRow]:
        """The rows of (kind, channel, message, due) posts, held by this process as they are recorded."""
        return [
            OutboxRow(incident_id=incident_id, kind=kind, channel=channel, text=message.text,
                      # stored as the JSON Slack takes, so built now; the gateway's fitting on send finds
                      # nothing more to do
                      blocks=fit_blocks(message.blocks)[0], due_at=due, recorded_at=now,
                      claimed_until=now + CLAIM, attempted_at=now, attempts=1)
            for kind, channel, message, due in owed
        ]

    def owe(self, incident_id: int, owed: Iterable[tuple[str, str, Message, datetime]]) -> None:
        """Record (kind, channel, message, due) posts in a transaction of their own, held by nobody: for what would
        have been said at once where Slack takes no posts now; the sweep sends them, in order, once it does."""
        now = self.clock()
        rows = self._rows(incident_id, owed, now=now)
        for row in rows:
            row.claimed_until, row.attempted_at, row.attempts = None, None, 0
        self._store.record_alone(rows, supersedes=SUPERSEDES, now=now)

    def deliver(self, rows: Sequence[OutboxRow]) -> int:
        """Send rows this process recorded (and so holds), after any post still owed before them in their
        channel; returns how many Slack took."""
        if not rows:
            return 0
        blocked = self.destinations.blocked()
        sent = 0
        groups = list(_by_channel(rows).items())
        for index, (channel, group) in enumerate(groups):
            if self._away() or WORKSPACE in blocked or channel in blocked:
                self._release([row.id for row in group])  # they wait, with the posts before them
                continue
            done = self._send_channel(channel, group, mine={row.id for row in group}, after_owed=True)
            sent += done.sent
            if done.stopped is Sending.HALTED:  # the bot's token, or Slack itself: no other channel either
                self._release([row.id for _, later in groups[index + 1:] for row in later])
                break
        return sent

    def sweep(self) -> int:
        """Send every post owed that nobody else holds, channel by channel in order: failed sends, what a crash
        left behind, and one post of each destination whose turn to be tried again has come. Posts owed for a
        day are given up first."""
        now = self.clock()
        rows = self._expire(self._store.unsent(), now)
        blocked = self.destinations.blocked()
        if self._away():
            return 0
        sent = self._bot_back(blocked, rows, now) if WORKSPACE in blocked else 0
        if sent is None:
            return 0
        for channel, group in _by_channel(rows).items():
            probing = channel in blocked
            if probing and not _due(blocked[channel], now):
                continue
            done = self._send_channel(channel, group, mine=set())
            if probing and done.posted:  # someone let Firehouse back in without Slack saying so to it
                self.unblock(channel)
            sent += done.sent
            if self._away() or done.stopped is Sending.HALTED:
                break
        return sent

    def send_owed(self, channel: str) -> int:
        """Send what is owed to one channel now, in order (it takes posts again, or a war room moved there)."""
        if self._away():
            return 0
        return self._send_channel(channel, self._store.owed_to(channel), mine=set()).sent

    def confirm(self) -> None:
        """Write down the confirmations kept in memory, in one transaction."""
        self._store.confirm(self._take_confirmed())

    def release_claims(self) -> None:
        """Free every claim: only for a process that knows it is the only sender (SQLite at start-up), so
        what a crash left in flight is checked and sent at once instead of after the claim runs out."""
        self._store.release_claims()

    def prune(self, *, older_than: timedelta) -> int:
        """Delete posts Slack confirmed, or given up, more than `older_than` ago; returns how many. Only the
        outbox forgets: what was said stays on the timeline and in the notices, and a row owed is never pruned."""
        cutoff = self.clock() - older_than
        pruned = self._store.prune(sent_before=cutoff)
        if pruned:
            log.info("outbox: pruned %d post%s settled before %s", pruned, "" if pruned == 1 else "s",
                     cutoff.isoformat(timespec="seconds"))
        return pruned

    def block(self, channel: str, reason: str) -> bool:
        """Record that `channel` (`*`: every channel) needs a person, telling the `on_blocked` hooks if this is
        news (they say how loud it is: an archived room of a resolved incident is no one's concern); a destination
        already recorded is tried again later, on its backoff. Whether it was news."""
        now = self.clock()
        if self.destinations.block(channel, reason, now=now, probe_at=now + PROBE_FIRST):
            log.info("recorded that Slack takes no posts in %s until a person acts (%s)", channel, reason)
            self._hooks(self.on_blocked, channel, reason)
            return True
        found = self.destinations.get(channel)
        if found is not None and _due(found, now):  # a try at its turn, not a refusal met on the way meanwhile
            self.destinations.probed(channel, next_at=now + min(PROBE_FIRST * 2 ** min(found.probes + 1, 10),
                                                                PROBE_LONGEST))
        return False

    def refused(self, channel: str, failure: SlackFailure) -> bool:
        """Record a post to `channel` that Slack refused until a person acts (the channel's to fix, or the bot's
        for every channel): the posts owed there wait from now on. Whether it was such a refusal; a direct
        message's is that person's, never a destination's."""
        found = classify(failure)
        if found.remedy is not Remedy.PERSON or _is_direct(channel):
            return False
        self._block_for(channel, found)
        return True

    def _block_for(self, channel: str, failure: Failure) -> None:
        self.block(WORKSPACE if failure.workspace else channel, failure.reason)

    def abandon(self, channel: str, reason: str) -> int:
        """Nothing owed to `channel` will ever be sent (the war room of a resolved incident was archived): give
        every post owed there up and forget the channel. Returns how many posts were given up."""
        owed = self._store.owed_to(channel)
        self._give_up(owed, reason, f"{reason}: nothing more will be sent there", level=logging.INFO)
        self.destinations.clear(channel)
        return len(owed)

    def close(self) -> None:
        """Let the hooks told of destinations finish (a process about to stop)."""
        if self._tell_in is not None:
            self._tell_in.shutdown(wait=True)

    def retry_blocked(self) -> None:
        """Try every destination that needs a person again at the next sweep, not at its backoff's end."""
        self.destinations.retry_all(at=self.clock())

    def unblock(self, channel: str) -> bool:
        """Slack takes posts in `channel` again (a person acted, or a post went through): forget the record, tell
        the `on_cleared` hooks; the sweep sends what waited. Whether there was a record."""
        if not self.destinations.clear(channel):
            return False
        log.info("Slack takes posts in %s again; what waited is sent in order", channel)
        self._hooks(self.on_cleared, channel)
        return True

    # --- sending --------------------------------------------------------------------------------------

    def _send_channel(self, channel: str, rows: Sequence[OutboxRow], *, mine: set[int], after_owed: bool = False
                      ) -> Done:
        """Send one channel's rows in order (`after_owed`: after what is still owed there before them), up to the
        first that must wait, then what was owed there meanwhile. Rows in `mine` this process holds already; the
        rest are claimed first. One that another thread of this process holds, or that waits its backoff, stops
        the channel: that thread sends it and what follows, in order. One another process holds is left to it: it
        is on its way, or was sent and not yet written down, and a process that died holds its posts for a while
        and must hold up no one. In this process one thread at a time sends to a channel. The rows of `mine`
        never tried are given back."""
        done = Done()
        with self._sending(channel):
            queue = [*self._store.owed_to(channel, before=rows[0].id), *rows] if after_owed else list(rows)
            while queue:
                for index, row in enumerate(queue):
                    outcome = self._take(row, mine=mine)
                    if outcome is None:
                        continue
                    if outcome in (Sending.WAITING, Sending.HALTED):
                        self._release([later.id for later in queue[index + 1:] if later.id in mine])
                        done.stopped = outcome
                        return done
                    done.sent += outcome in (Sending.SENT, Sending.FOUND)
                    done.posted += outcome is Sending.SENT
                queue, mine = self._store.owed_to(channel, after=queue[-1].id), set()
        return done

    def _take(self, row: OutboxRow, *, mine: set[int]) -> Sending | None:
        """Send one row of a channel in its turn: None when another process holds it (left to it)."""
        if row.id not in mine:
            if not self._claim(row):
                found = self._store.now(row.id)
                if found is None:  # sent or given up a moment ago
                    return None
                waits = found.next_at and as_utc(found.next_at) > self.clock()
                with self._lock:
                    ours = found.id in self._holding
                return Sending.WAITING if waits or ours else None
            if (newer := self._store.newer(row, SUPERSEDED_BY.get(row.kind, ()))) is not None:
                self._superseded(row, newer)  # said again, and said now, by a post owed after it
                return Sending.DROPPED
        try:
            return self._send(row, checked=row.id in mine)
        finally:
            with self._lock:
                self._holding.discard(row.id)

    def _release(self, row_ids: Sequence[int]) -> None:
        """Give back rows this process held and never tried: whoever reaches their channel first sends them."""
        self._store.release(row_ids)
        with self._lock:
            self._holding.difference_update(row_ids)

    def _superseded(self, row: OutboxRow, newer: int) -> None:
        if self._store.supersede(row.id, by=newer, at=self.clock()):
            log.info("outbox %s (%s, incident %s) superseded by post %s", row.id, row.kind, row.incident_id, newer)
            self._tell(self.on_given_up, "superseded")

    def _sending(self, channel: str) -> threading.RLock:
        """The lock of one channel's sending in this process (re-entered when a hook of a send owes a post)."""
        with self._lock:
            return self._channels.setdefault(channel, threading.RLock())

    def _send(self, row: OutboxRow, *, checked: bool) -> Sending:
        """Send one held row; unless `checked` (it was recorded just now), first look for an earlier
        attempt that did reach Slack."""
        if not checked and row.attempted_at and (ts := self._already_posted(row)):
            self._sent(row, ts)
            return Sending.FOUND
        try:
            ts = self.gateway.post(row.channel, Message(text=row.text, blocks=row.blocks),
                                   metadata=post_metadata(row))
        except SlackFailure as failure:
            return self._refused(row, classify(failure))
        self._sent(row, ts)
        for each in self.on_sent:
            each(row.kind, row.due_at, self.clock())
        return Sending.SENT

    def _refused(self, row: OutboxRow, failure: Failure) -> Sending:
        """What a refusal of `row` means for it and for the posts after it."""
        if failure.remedy is Remedy.DROP or (failure.remedy is not Remedy.RETRY and not failure.workspace
                                             and _is_direct(row.channel)):
            # Slack will never take this message, or this person's messages: the rest go on
            self._give_up([row], failure.reason, f"{failure.reason}: {failure.remedy}")
            return Sending.DROPPED
        if failure.remedy is not Remedy.RETRY:  # a person's to fix (a failed join is one too)
            self._store.free(row.id, error=failure.reason)  # why it waits, on the post
            self._block_for(row.channel, failure)
            return Sending.HALTED if failure.workspace else Sending.WAITING
        if failure.everywhere:
            self._store.free(row.id, error=failure.reason)
            self._slack_away(failure.reason)
            return Sending.HALTED
        # Slack answered, but not for this post: it (and its channel's posts after it) waits its own backoff
        wait = min(AWAY_FIRST * 2 ** min(row.attempts, 16), POST_LONGEST)
        self._store.free(row.id, error=failure.reason, next_at=self.clock() + wait)
        if row.attempts <= 1:
            log.warning("outbox %s (%s, incident %s) not sent, tried again in %ds: %s", row.id, row.kind,
                        row.incident_id, wait.total_seconds(), failure.reason)
        return Sending.WAITING

    def _give_up(self, rows: Sequence[OutboxRow], reason: str, why: str, *, level: int = logging.ERROR) -> None:
        """Give rows up for good: logged and told once each, by the sender that gave them up."""
        given_up = self._store.give_up([row.id for row in rows], reason=why, at=self.clock())
        for row in rows:
            if row.id in given_up:
                log.log(level, "outbox %s (%s, incident %s) given up: %s", row.id, row.kind, row.incident_id, why)
                self._tell(self.on_given_up, reason)

    def _expire(self, rows: list[OutboxRow], now: datetime) -> list[OutboxRow]:
        """`rows` but those owed for longer than GIVE_UP, since they were due or recorded (whichever came later),
        which are given up (one error names each)."""
        stale = [row for row in rows if max(as_utc(row.due_at), as_utc(row.recorded_at or row.due_at)) < now - GIVE_UP
                 and not (row.claimed_until and as_utc(row.claimed_until) >= now)]
        for row in stale:
            reason = reason_of(row.error) if row.error else "never_sent"
            self._give_up([row], reason, f"still owed a day after it was due ({row.error or 'never sent'})")
        return [row for row in rows if row not in stale]

    def _bot_back(self, blocked: dict[str, DestinationRow], rows: Sequence[OutboxRow], now: datetime) -> int | None:
        """Whether Slack takes the bot's posts again (None: not yet), asked once the record's turn has come:
        `auth.test` for a token or account; for a scope or permission, which `auth.test` does not check, the oldest
        owed post (then 1: it was sent)."""
        bot = blocked[WORKSPACE]
        if not _due(bot, now):
            return None
        sent = 0
        if bot.reason not in TOKEN:  # the first post of a channel whose turn it is, never one behind another
            firsts = [group[0] for channel, group in _by_channel(rows).items() if channel not in blocked]
            first = next((row for row in firsts if not (row.next_at and as_utc(row.next_at) > now)
                          and self._claim(row)), None)
            if first is None:
                return None
            with self._sending(first.channel):
                outcome = self._send(first, checked=False)
            if outcome not in (Sending.SENT, Sending.FOUND):
                return None
            sent = 1
        else:
            try:
                self.gateway.check_token()
            except SlackFailure as failure:
                self._refused_check(classify(failure))
                return None
        self.unblock(WORKSPACE)
        return sent

    def _refused_check(self, failure: Failure) -> None:
        if failure.everywhere:
            self._slack_away(failure.reason)
        elif failure.remedy is not Remedy.RETRY:
            self.block(WORKSPACE, failure.reason)

    def _slack_away(self, reason: str) -> None:
        """Slack did not answer: nothing is sent before a backoff (one WARNING per outage). Senders that were
        already on their way when it went away count as one failure, not one each."""
        with self._lock:
            now = self.clock()
            if self._away_until is not None and now < self._away_until:
                return
            self._away_failures += 1
            failures = self._away_failures
            self._away_until = now + min(AWAY_FIRST * 2 ** min(failures - 1, 10), AWAY_LONGEST)
        if failures == 1:
            log.warning("Slack is not taking posts (%s); they wait and are tried again with backoff", reason)

    def _away(self) -> bool:
        with self._lock:
            return self._away_until is not None and self.clock() < self._away_until

    def _sent(self, row: OutboxRow, ts: str) -> None:
        with self._lock:
            self._confirmed.append(Sent(row.id, self.clock(), ts))
            back, self._away_failures, self._away_until = self._away_failures, 0, None
        if back:
            log.info("Slack takes posts again after %d failed attempt%s", back, "" if back == 1 else "s")

    def _take_confirmed(self) -> list[Sent]:
        with self._lock:
            confirmed, self._confirmed = self._confirmed, []
        return confirmed

    def _claim(self, row: OutboxRow) -> bool:
        """Take the row for a while and stamp the attempt, unless another sender holds it. `row` keeps what it
        was read with, so an earlier attempt is still visible."""
        now = self.clock()
        return self._store.claim(row.id, now=now, until=now + CLAIM)

    def _already_posted(self, row: OutboxRow) -> str | None:
        """The ts of this row's message if an earlier attempt did reach Slack."""
        try:
            for message in self.gateway.recent_messages(row.channel, limit=100):
                if is_post_of(message, row):
                    return message.get("ts")
        except SlackFailure as failure:
            log.info("could not check history for outbox %s: %s", row.id, failure.error)
        return None

    def _hooks(self, hooks: Sequence[Callable[..., object]], *args: object) -> None:
        """Tell hooks that make changes of their own (and post): off the sender's thread, which may hold a channel
        or be one of the workers those changes would wait for."""
        if self._tell_in is None:
            self._tell(hooks, *args)
        else:
            self._tell_in.submit(self._tell, hooks, *args)

    @staticmethod
    def _tell(hooks: Sequence[Callable[..., object]], *args: object) -> None:
        """Tell each hook; a hook's failure is logged, never the sender's."""
        for each in hooks:
            try:
                each(*args)
            except Exception:
                log.warning("a hook of the outbox failed", exc_info=True)


def _due(destination: DestinationRow, now: datetime) -> bool:
    """Whether a destination that needs a person is to be tried again now."""
    return destination.probe_at is not None and as_utc(destination.probe_at) <= now


def _by_channel(rows: Iterable[OutboxRow]) -> dict[str, list[OutboxRow]]:
    """Rows by channel, each channel's in the order given (oldest first)."""
    grouped: dict[str, list[OutboxRow]] = {}
    for row in rows:
        grouped.setdefault(row.channel, []).append(row)
    return grouped


def _is_direct(channel: str) -> bool:
    """A direct message to a person (posted to their user id): refused, it is that person who cannot be reached."""
    return channel[:1] in ("U", "W", "D")
