"""Live signals after the fact, in-process: the postmortem's Signals section and the charts under its draft, and
the customer notice that may say the measure taken has worked. A firebreak is pulled, the clock moves past
`verify_after`, and the status board's decision measures it, as in a war room."""

from __future__ import annotations

from datetime import timedelta

import pytest
from unit.usecases.fakes import ALICE, FRAUD_RATE, PROM, RANKER_OFF, START, FakeExecutors, FakeMetrics

from firehouse.commands.containment import PullFirebreak
from firehouse.commands.notices import DraftNotice, RecordFacts
from firehouse.commands.signals import StopWatching, WatchSignal
from firehouse.comms.templates import TemplateCatalogue
from firehouse.domain.model import Incident
from firehouse.domain.signals import Signal, step_for
from firehouse.domain.verification import Verdict
from firehouse.errors import MetricFailure
from firehouse.store import UnitOfWork
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment
from firehouse.usecases.duties import Duties
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.signals import Signals

MIN = timedelta(minutes=1)
PULLED_AT = START + 20 * MIN
SPEND = Signal(name="refund-spend", query="sum(refunds_usd)", label="refund spend", source="prom", unit="usd",
               threshold=500.0)
NOTHING_WATCHED = "No live signal was watched; containment was not verified against a metric."
WORKED = "The measure we took has worked:"


@pytest.fixture
def service(make_service):
    return make_service(firebreaks={"ranker-off": RANKER_OFF}, metric_sources={"prom": PROM},
                        signals={FRAUD_RATE.name: FRAUD_RATE, SPEND.name: SPEND})


@pytest.fixture
def metrics() -> FakeMetrics:
    """The fraud-flag rate at 9.1 % until the firebreak is pulled, 2.1 % after; refund spend steady."""
    return FakeMetrics({FRAUD_RATE.query: lambda t: 0.091 if t <= PULLED_AT else 0.021,
                        SPEND.query: lambda t: 120.0})


@pytest.fixture
def signals(service, metrics) -> Signals:
    return Signals(service=service, sources=metrics)


@pytest.fixture
def after(service, signals) -> AfterAction:
    return AfterAction(service=service, templates=TemplateCatalogue.with_override(None), signals=signals)


def watch(signals: Signals, incident: Incident, *names: str) -> None:
    for name in names:
        signals.watch(WatchSignal(name), channel=incident.channel_id, by=ALICE)


def pull_and_verify(service, signals: Signals, incident: Incident, clock) -> None:
    """Pull ranker-off, then let the status board measure it once `verify_after` has passed."""
    clock.set(PULLED_AT)
    Containment(service=service, executors=FakeExecutors()).pull(PullFirebreak("ranker-off"),
                                                                 channel=incident.channel_id, by=ALICE, confirmed=True)
    clock.advance(service.settings.watch.verify_after)
    Duties(service=service, signals=signals).run(incident.id)


def signals_section(text: str) -> str:
    return text.split("## Signals\n", 1)[1].split("\n## ", 1)[0].strip()


def test_a_drafted_postmortem_has_each_watched_signal_and_the_measured_effect_of_the_firebreak(
        service, signals, after, declared, clock, outbound):
    watch(signals, declared, FRAUD_RATE.name)
    pull_and_verify(service, signals, declared, clock)
    after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert signals_section(outbound.postmortems_shown[-1][2]).splitlines() == [
        ("- **fraud-flag rate** (`fraud-flag-rate`, compared with threshold 3.0%): watched since 2026-03-02 09:00"
         " UTC; asked for in the war room"),
        ("  - **ranker-off** · 9.1% → 2.1% · _worked_ · Effect of ranker-off on fraud-flag rate: 9.1% → 2.1%"
         " (−77%), back within baseline"),
    ]


def test_a_signal_no_longer_watched_stays_in_the_section_with_when_it_stopped(service, signals, after, declared,
                                                                             clock, outbound):
    watch(signals, declared, SPEND.name)
    clock.advance(30 * MIN)
    signals.stop(StopWatching(SPEND.name), channel=declared.channel_id, by=ALICE)
    after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert signals_section(outbound.postmortems_shown[-1][2]).splitlines() == [
        ("- **refund spend** (`refund-spend`, compared with threshold $500.00): watched from 2026-03-02 09:00 UTC"
         " to 2026-03-02 09:30 UTC; asked for in the war room"),
        "  - No firebreak's effect on it was measured.",
    ]


def test_when_nothing_was_watched_the_section_says_so_in_one_line_and_no_chart_is_attached(after, declared,
                                                                                            outbound):
    version, problems = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert signals_section(outbound.postmortems_shown[-1][2]) == NOTHING_WATCHED
    assert (version.version, problems, outbound.signal_charts) == (1, [], [])


def test_the_chart_of_each_signal_the_incident_watched_follows_the_draft(service, signals, after, declared, clock,
                                                                        outbound):
    watch(signals, declared, FRAUD_RATE.name, SPEND.name)
    pull_and_verify(service, signals, declared, clock)
    signals.stop(StopWatching(SPEND.name), channel=declared.channel_id, by=ALICE)  # stopped, still charted
    outbound.signal_charts.clear()  # the verification's own chart
    version, problems = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert problems == []
    charts = [(incident_id, reading.signal.name, comment) for incident_id, reading, comment in outbound.signal_charts]
    shown = f"For postmortem version {version.version}:"
    assert charts == [(declared.id, FRAUD_RATE.name, f"{shown} fraud-flag rate 2.1% now (threshold 3.0%, 0.7×)"),
                      (declared.id, SPEND.name, f"{shown} refund spend $120.00 now (threshold $500.00, 0.2×)")]
    # read up to now: the range ends on the first step of its grid at or after it
    assert all(clock() <= reading.end < clock() + step_for(reading.start, clock()) + timedelta(seconds=1)
               for _, reading, _ in outbound.signal_charts)


def test_a_signal_whose_source_fails_does_not_stop_the_draft(service, signals, after, declared, clock, metrics,
                                                             outbound, engine):
    watch(signals, declared, FRAUD_RATE.name)
    pull_and_verify(service, signals, declared, clock)
    outbound.signal_charts.clear()
    clock.advance(MIN)  # past the read the verification shared
    metrics.failure = MetricFailure("Prometheus did not answer")
    version, problems = after.draft_postmortem(channel=declared.channel_id, by=ALICE)
    assert problems == ["No chart of fraud-flag rate: unavailable: Prometheus did not answer"]
    assert outbound.signal_charts == []
    assert outbound.postmortems_shown[-1][:2] == (declared.id, version.version)
    assert "_worked_ · Effect of ranker-off" in signals_section(outbound.postmortems_shown[-1][2])  # from the store
    with UnitOfWork(engine) as uow:
        assert [v.version for v in uow.afteraction.postmortems(declared.id)] == [1]


def test_without_the_signals_collaborator_the_draft_still_has_the_section_and_uploads_no_chart(
        service, signals, declared, clock, outbound):
    watch(signals, declared, FRAUD_RATE.name)
    pull_and_verify(service, signals, declared, clock)
    outbound.signal_charts.clear()
    plain = AfterAction(service=service, templates=TemplateCatalogue.with_override(None))
    assert plain.draft_postmortem(channel=declared.channel_id, by=ALICE)[1] == []
    assert "_worked_" in signals_section(outbound.postmortems_shown[-1][2]) and outbound.signal_charts == []


# --- the customer notice ----------------------------------------------------------------------------------


def draft_product_notice(service, incident: Incident) -> str:
    desk = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))
    desk.record_facts(RecordFacts({"feature": "refund assistant", "window_start": "08:40 UTC"}),
                      channel=incident.channel_id, by=ALICE)
    return desk.draft(DraftNotice("product"), channel=incident.channel_id, by=ALICE).text


def test_the_customer_notice_says_the_measure_worked_once_a_signal_is_verified_back_within_baseline(
        service, signals, declared, clock):
    watch(signals, declared, FRAUD_RATE.name)
    assert WORKED not in draft_product_notice(service, declared)  # nothing measured yet
    pull_and_verify(service, signals, declared, clock)
    text = draft_product_notice(service, declared)
    assert (f"{WORKED}** fraud-flag rate went from 9.1% to 2.1%, back within its usual range.\n") in text


def test_the_customer_notice_claims_nothing_when_the_firebreak_made_no_measurable_difference(
        service, signals, declared, clock, metrics, engine):
    metrics.values[FRAUD_RATE.query] = lambda t: 0.091
    watch(signals, declared, FRAUD_RATE.name)
    pull_and_verify(service, signals, declared, clock)
    with UnitOfWork(engine) as uow:
        assert [v.verdict for v in uow.signals.verifications(declared.id)] == [Verdict.NO_EFFECT]
    assert WORKED not in draft_product_notice(service, declared)
