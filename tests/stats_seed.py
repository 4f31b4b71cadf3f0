"""A database of incidents with known moments, notices and deadlines, written through the use cases on a clock
the seed moves, and the figures a person counts from it by hand: what `/incident stats` and
`firehouse report incidents` must say about it. (A module of its own: the end-to-end and the CLI tests share it.)

Times are from the first signal: detection for A, the declaration for the others. GDPR is enabled
(`data` and `compliance`: the authority within 72 h of awareness, which is the declaration here).

    incident  class       sev   declared  captain  contain     resolve  1st update  notice         GDPR
    A         output      SEV2  base      10m      40m         2h 10m   25m         not owed       -
    B         output      SEV1  +1d       0s       20m         3h       10m         45m: on time   -
    C         data        SEV1  +2d       0s       5h (by the  5h       30m         2h: late       reported at 80h: late
                                                   resolution)
    D         cost        SEV3  +9d       25m      -           - (open) 60m         not owed       -
    E         compliance  SEV1  +10d      0s       15m         1h       5m          not owed (it   not reportable
                                                                                    reached no one)
    F         data        SEV2  +11d      0s       1h          6h       -           not owed       reported at 10h: met
    drill     output      SEV1  +3d       a practice incident: captained, updated, resolved; it counts nowhere
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from unit.usecases.fakes import ALICE, BOB, CAROL, FakeOutbound, SteppedClock

from firehouse.commands.incidents import AssignRole, ChangeStatus, HandOver, Resolve
from firehouse.commands.notices import DraftNotice, NotReportable
from firehouse.commands.timeline import PostUpdate
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity
from firehouse.store import make_engine
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.updates import Updates

MIN, H, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
CONFIG = 'regimes = ["gdpr"]\n'
GDPR = {"gdpr": ("data", "compliance")}

# What a person counts from the table above: (n, mean seconds, median seconds) for each time.
COUNT, OPEN = 6, 1
TO_CAPTAIN = (6, 350, 0)  # 10m + 25m over 6: 5m 50s; median 0s
TO_CONTAIN = (5, 5220, 2400)  # 15m, 20m, 40m, 1h, 5h: mean 1h 27m, median 40m
TO_RESOLVE = (5, 12360, 10800)  # 1h, 2h 10m, 3h, 5h, 6h: mean 3h 26m, median 3h
TO_FIRST_UPDATE = (5, 1560, 1500)  # 5m, 10m, 25m, 30m, 1h: mean 26m, median 25m
NOTICES = (1, 2, 0, 0)  # on time, counted, waived, pending: B on time, C late
DEADLINES = (1, 2, 1, 0)  # met, counted, not reportable, pending: F met, C late, E decided not reportable
BY_CLASS = {"output": 2, "data": 2, "cost": 1, "compliance": 1}  # in the catalogue's order
BY_SEVERITY = {"sev1": 3, "sev2": 2, "sev3": 1}


class _Outbound(FakeOutbound):
    """The in-memory outbound, with war rooms made by `make_channel` (a fake Slack's, so a bot finds them)."""

    def __init__(self, *, clock: SteppedClock, make_channel: Callable[[str, bool], str] | None) -> None:
        super().__init__(clock=clock)
        self.make_channel = make_channel

    def create_channel(self, name: str, *, private: bool):
        channel = super().create_channel(name, private=private)
        if self.make_channel is None:
            return channel
        return type(channel)(self.make_channel(name, private), name)


def base_for(now: datetime) -> datetime:
    """Where the seed starts for a test run at `now`: 20 days back, on the minute, so that everything it holds
    is settled (every deadline due, every notice's hour over) and the last 7 days hold nothing."""
    return (now - 20 * DAY).replace(second=0, microsecond=0)


def seed(path: Path, *, base: datetime, make_channel: Callable[[str, bool], str] | None = None) -> None:
    """Write the incidents of the table above into a new database at `path`."""
    engine = make_engine(f"sqlite:///{path}")
    clock = SteppedClock(base)
    settings = Settings(bot_token="xoxb-seed", signing_secret="seed", regimes=GDPR)
    service = IncidentService(engine=engine, outbound=_Outbound(clock=clock, make_channel=make_channel),
                              settings=settings, clock=clock)
    updates, desk = Updates(service), NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))

    def declare(day: int, class_id: str, severity: Severity, **extra) -> tuple[str, datetime]:
        clock.set(base + day * DAY)
        incident = service.declare(title=f"{class_id} incident", by=ALICE, severity=severity, class_id=class_id,
                                   **extra).incident
        return incident.channel_id, incident.declared_at

    def steps(start: datetime, *done: tuple[timedelta, Callable[[], object]]) -> None:
        """Each action at its time after `start`."""
        for after, action in done:
            clock.set(start + after)
            action()

    def notice(room: str, lane: str, **which: str) -> None:
        drafted = desk.draft(DraftNotice(lane, **which), channel=room, by=ALICE)
        desk.approve(notice_id=drafted.id, by=CAROL if lane == "legal" else ALICE)
        desk.mark_sent(notice_id=drafted.id, by=ALICE)

    def legal(room: str) -> Callable[[], object]:
        return lambda: service.assign_role(AssignRole("legal", CAROL), channel=room, by=ALICE)

    def update(room: str, by: str = ALICE) -> Callable[[], object]:
        return lambda: updates.post_update(PostUpdate(text="What we know, and what we are doing"), channel=room, by=by)

    def contained(room: str) -> Callable[[], object]:
        return lambda: service.change_status(ChangeStatus(Status.CONTAINED), channel=room, by=ALICE)

    def resolved(room: str, by: str = ALICE, waiver: str = "") -> Callable[[], object]:
        return lambda: service.resolve(Resolve(waiver=waiver), channel=room, by=by)

    def fact_sheet(room: str) -> Callable[[], object]:
        return lambda: notice(room, "legal", template="fact_sheet", regime="gdpr", stage="initial")

    room, start = declare(0, "output", Severity.SEV2, detected_at=base - 10 * MIN)  # A
    steps(start, (15 * MIN, update(room)), (30 * MIN, contained(room)), (2 * H, resolved(room)))
    room, start = declare(1, "output", Severity.SEV1, reached_users=True)  # B
    steps(start, (10 * MIN, update(room)), (20 * MIN, contained(room)), (45 * MIN, lambda: notice(room, "product")),
          (3 * H, resolved(room)))
    room, start = declare(2, "data", Severity.SEV1, reached_users=True)  # C
    steps(start, (1 * MIN, legal(room)), (30 * MIN, update(room)), (2 * H, lambda: notice(room, "product")),
          (5 * H, resolved(room)), (80 * H, fact_sheet(room)))
    room, start = declare(3, "output", Severity.SEV1, reached_users=True, drill=True, provisional=True)  # the drill
    steps(start, (2 * MIN, lambda: service.hand_over(HandOver(BOB),
                                                     channel=room, by=BOB)), (4 * MIN, update(room, BOB)),
          (6 * MIN, resolved(room, BOB, waiver="a drill: no customer saw anything")))
    room, start = declare(9, "cost", Severity.SEV3, provisional=True)  # D, still open
    steps(start, (25 * MIN, lambda: service.hand_over(HandOver(ALICE),
                                                      channel=room, by=ALICE)), (60 * MIN, update(room)))
    room, start = declare(10, "compliance", Severity.SEV1, reached_users=False)  # E
    steps(start, (1 * MIN, legal(room)), (5 * MIN, update(room)), (15 * MIN, contained(room)),
          (40 * MIN, lambda: desk.not_reportable(NotReportable("gdpr", "no personal data"), channel=room, by=CAROL)),
          (1 * H, resolved(room)))
    room, start = declare(11, "data", Severity.SEV2)  # F
    steps(start, (1 * MIN, legal(room)), (1 * H, contained(room)), (6 * H, resolved(room)), (10 * H, fact_sheet(room)))
    engine.dispose()
