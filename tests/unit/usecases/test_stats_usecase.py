"""The numbers read from a real store on a clock the test moves: what the store holds becomes the records the
domain counts, in four queries however many incidents there are."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event
from unit.usecases.fakes import ALICE, CAROL, START

from firehouse.commands.incidents import AssignRole, ChangeStatus, Resolve
from firehouse.commands.notices import DraftNotice
from firehouse.commands.timeline import Log, PostUpdate
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config.file import BoardSettings
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity
from firehouse.domain.stats import Share, Times
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.stats import Stats

MIN, H, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
GDPR = {"gdpr": ("data", "compliance")}


@pytest.fixture
def legal_service(make_service):
    return make_service(regimes=GDPR)


@pytest.fixture
def desk(legal_service) -> NoticeDesk:
    return NoticeDesk(service=legal_service, templates=TemplateCatalogue.with_override(None))


def stats_of(service) -> Stats:
    return Stats(engine=service.engine, settings=service.settings, clock=service.clock)


def declare(service, clock, *, at, **extra):
    clock.set(at)
    return service.declare(title="Support bot leaks another tenant's ticket", by=ALICE, **extra).incident


def send(desk, clock, room: str, *, at, lane: str = "legal", approve_by: str = CAROL, **which) -> None:
    clock.set(at)
    drafted = desk.draft(DraftNotice(lane, **which), channel=room, by=ALICE)
    desk.approve(notice_id=drafted.id, by=approve_by)
    desk.mark_sent(notice_id=drafted.id, by=ALICE)


def statements(engine):
    """The SQL statements run against `engine` while the `with` block runs."""
    ran: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        ran.append(statement)

    class Counting:
        def __enter__(self) -> list[str]:
            event.listen(engine, "before_cursor_execute", count)
            return ran

        def __exit__(self, *exc_info) -> None:
            event.remove(engine, "before_cursor_execute", count)

    return Counting()


def test_the_numbers_take_four_queries_however_many_incidents_there_are(service, updates, clock, engine):
    def queries_with(more: int) -> tuple[int, int]:
        for n in range(more):
            room = declare(service, clock, at=START + n * MIN).channel_id
            updates.post_update(PostUpdate("Rolled back"), channel=room, by=ALICE)
            service.resolve(Resolve(), channel=room, by=ALICE)
        clock.set(START + DAY)
        with statements(engine) as ran:
            counted = stats_of(service).last(30 * DAY)
        return counted.total.incidents, len(ran)

    assert queries_with(2) == (2, 4)
    assert queries_with(40) == (42, 4)


def test_each_time_is_read_from_the_stored_moments_and_the_first_update_from_the_timeline(service, updates, clock):
    room = declare(service, clock, at=START, detected_at=START - 10 * MIN).channel_id
    clock.set(START + 5 * MIN)
    service.log(Log("a log line is not an update"), channel=room, by=ALICE)
    clock.set(START + 15 * MIN)
    updates.post_update(PostUpdate("Rolled back the ranker"), channel=room, by=ALICE)
    clock.set(START + 40 * MIN)
    updates.post_update(PostUpdate("Still watching"), channel=room, by=ALICE)
    clock.set(START + 50 * MIN)
    service.change_status(ChangeStatus(Status.CONTAINED), channel=room, by=ALICE)
    clock.set(START + 2 * H)
    service.resolve(Resolve(), channel=room, by=ALICE)
    total = stats_of(service).last(DAY).total
    assert total.to_captain == Times(1, 10 * MIN, 10 * MIN)
    assert total.to_first_update == Times(1, 25 * MIN, 25 * MIN)
    assert total.to_contain == Times(1, H, H)
    assert total.to_resolve == Times(1, 130 * MIN, 130 * MIN)


def test_a_drill_never_counts_nor_do_its_updates(service, updates, clock):
    drill = declare(service, clock, at=START, severity=Severity.SEV1, drill=True, provisional=True)
    clock.set(START + 3 * MIN)
    updates.post_update(PostUpdate("Practising"), channel=drill.channel_id, by=ALICE)
    declare(service, clock, at=START + H, severity=Severity.SEV3)
    clock.set(START + 2 * H)
    counted = stats_of(service).last(DAY)
    assert (counted.total.incidents, [f.name for f in counted.by_severity]) == (1, ["SEV3"])
    assert counted.total.to_first_update == Times()


def test_a_deadline_is_met_by_the_first_fact_sheet_of_its_stage_marked_sent(legal_service, desk, clock):
    room = declare(legal_service, clock, at=START, class_id="data", severity=Severity.SEV2).channel_id
    legal_service.assign_role(AssignRole("legal", CAROL), channel=room, by=ALICE)
    send(desk, clock, room, at=START + 70 * H, template="fact_sheet", regime="gdpr", stage="initial")
    send(desk, clock, room, at=START + 75 * H, template="fact_sheet", regime="gdpr", stage="initial")  # a correction
    late = declare(legal_service, clock, at=START + H, class_id="data", severity=Severity.SEV2).channel_id
    legal_service.assign_role(AssignRole("legal", CAROL), channel=late, by=ALICE)
    send(desk, clock, late, at=START + 80 * H, template="individuals")  # to people, not the authority: no report
    clock.set(START + 80 * H)
    drafted = desk.draft(DraftNotice("legal", template="fact_sheet", regime="gdpr", stage="initial"),
                         channel=late, by=ALICE)
    desk.approve(notice_id=drafted.id, by=CAROL)  # approved, never marked sent
    clock.set(START + 5 * DAY)
    assert stats_of(legal_service).last(30 * DAY).total.deadlines == Share(hit=1, of=2)


def test_a_customer_notice_is_on_time_within_the_first_hours_last_checkpoint(make_service, clock):
    service = make_service(board=BoardSettings(first_hour=(timedelta(minutes=10), timedelta(minutes=30))))
    desk = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))
    for n, sent_after in enumerate((30 * MIN, 31 * MIN)):
        room = declare(service, clock, at=START + n * H, severity=Severity.SEV1, reached_users=True).channel_id
        send(desk, clock, room, at=START + n * H + sent_after, lane="product", approve_by=ALICE)
    stats = stats_of(service)
    assert stats.notice_within == 30 * MIN
    assert stats.last(DAY).total.notices == Share(hit=1, of=2)


def test_an_owed_notice_inside_its_hour_waits_and_one_past_it_unsent_is_late(service, clock):
    declare(service, clock, at=START, severity=Severity.SEV1, reached_users=True)
    clock.set(START + 59 * MIN)
    assert stats_of(service).last(DAY).total.notices == Share(pending=1)
    clock.set(START + 61 * MIN)
    assert stats_of(service).last(DAY).total.notices == Share(of=1)


def test_the_window_ends_now_and_reaches_back_as_far_as_asked(service, clock):
    for days_ago in (40, 20, 3):
        declare(service, clock, at=START - days_ago * DAY)
    clock.set(START)
    stats = stats_of(service)
    assert [stats.last(window).total.incidents for window in (7 * DAY, 30 * DAY, 60 * DAY)] == [1, 2, 3]
    last_week = stats.last(7 * DAY)
    assert (last_week.since, last_week.until) == (START - 7 * DAY, START)


def test_without_a_start_the_numbers_begin_at_the_first_incident_and_never_end_after_now(service, clock):
    first = declare(service, clock, at=START - 10 * DAY)
    declare(service, clock, at=START - 2 * DAY)
    clock.set(START)
    counted = stats_of(service).between(since=None, until=START + 30 * DAY)
    assert (counted.since, counted.until, counted.total.incidents) == (first.declared_at, START, 2)


def test_an_empty_store_has_nothing_to_count(service, clock):
    counted = stats_of(service).between(since=None)
    assert (counted.since, counted.until) == (START, START)
    assert (counted.total.incidents, counted.by_class, counted.weeks) == (0, (), ())


def test_an_open_incident_counts_but_not_in_the_time_to_resolve(service, clock):
    declare(service, clock, at=START)
    done = declare(service, clock, at=START + MIN)
    clock.set(START + 31 * MIN)
    service.resolve(Resolve(), channel=done.channel_id, by=ALICE)
    total = stats_of(service).last(DAY).total
    assert (total.incidents, total.open, total.to_resolve) == (2, 1, Times(1, 30 * MIN, 30 * MIN))


def test_the_settings_classes_give_the_order_of_the_rows(make_service, clock):
    service = make_service()
    for class_id in ("cost", "data", "output"):
        declare(service, clock, at=START, class_id=class_id)
    clock.set(START + H)
    assert [f.name for f in stats_of(service).last(DAY).by_class] == ["output", "data", "cost"]
    classes = service.settings.catalog.classes
    reordered = replace(service.settings.catalog, classes=dict(reversed(list(classes.items()))))
    again = Stats(engine=service.engine, settings=replace(service.settings, catalog=reordered), clock=clock)
    assert [f.name for f in again.last(DAY).by_class] == ["cost", "data", "output"]
