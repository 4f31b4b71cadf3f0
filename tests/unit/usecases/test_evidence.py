"""Freezing evidence in a war room: typed fields, traces pulled from a trace source, corrections."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from unit.usecases.fakes import ALICE, BOB, STAKEHOLDERS, START, FakeTraces

from firehouse.commands.evidence import Freeze
from firehouse.config.integrations import TraceSourceSettings
from firehouse.domain.permissions import Action, ANYONE, CAPTAIN, NotAllowed, Policy
from firehouse.domain.snapshots import Snapshot, SnapshotTaken
from firehouse.errors import InvalidChange, NotAWarRoom, PartnerFailure
from firehouse.store import UnitOfWork
from firehouse.usecases.evidence import Evidence

LANGFUSE = TraceSourceSettings(name="langfuse", url="http://127.0.0.1:9/api/public/traces/{trace_id}",
                               header="Authorization", token="Basic cGs6c2s=")
PHOENIX = TraceSourceSettings(name="phoenix", url="http://127.0.0.1:9/v1/traces/{trace_id}")
TRACE = json.dumps({"id": "trace-1", "observations": [
    {"type": "GENERATION", "model": "gpt-4o", "modelParameters": {"temperature": 0.2, "maxTokens": 512},
     "usage": {"input": 1200, "output": 300}},
]})


def stored(engine, channel: str):
    """The incident in `channel`, its timeline and its snapshots, as the database has them."""
    with UnitOfWork(engine) as uow:
        incident = uow.incidents.by_channel(channel)
        return incident, uow.incidents.timeline(incident.id), uow.evidence.snapshots(incident.id)


@pytest.fixture
def traces() -> FakeTraces:
    return FakeTraces({"trace-1": TRACE})


@pytest.fixture
def evidence(service, traces) -> Evidence:
    return Evidence(service=service, traces=traces)


def with_sources(make_service, traces, *sources: TraceSourceSettings, **changes) -> Evidence:
    service = make_service(trace_sources={s.name: s for s in sources}, **changes)
    return Evidence(service=service, traces=traces)


# --- typed fields -------------------------------------------------------------------------------------------

def test_a_snapshot_is_stored_on_the_timeline_and_told_to_the_war_room(evidence, declared, outbound, engine):
    outbound.publications.clear()
    snapshot, outcome = evidence.snapshot(Freeze.of({"model": "gpt-4o", "output": "Try our rival's app"}),
                                          channel=declared.channel_id, by=BOB)
    assert snapshot.id is not None and snapshot.taken_by == BOB and snapshot.taken_at == START
    _, timeline, snapshots = stored(engine, declared.channel_id)
    assert snapshots == [snapshot]
    entry = timeline[-1]
    assert (entry.at, entry.author, entry.kind) == (START, BOB, "snapshot")
    assert entry.text == f"Snapshot #{snapshot.id} frozen: model, output (sha256 {snapshot.fingerprint})"
    (published,) = outbound.publications
    assert published.incident.id == declared.id
    assert published.events == (SnapshotTaken(at=START, by=BOB, snapshot_id=snapshot.id, keys=("model", "output"),
                                              fingerprint=snapshot.fingerprint),)
    assert outcome.events == list(published.events) and outcome.problems == []


def test_the_stored_snapshot_still_matches_its_fingerprint(evidence, declared, engine):
    snapshot, _ = evidence.snapshot(Freeze.of({"output": "Préférez l'appli concurrente ✨", "tenants": "acme, globex"}),
                                    channel=declared.channel_id, by=ALICE)
    (kept,) = stored(engine, declared.channel_id)[2]
    assert kept.verify() and kept.fingerprint == snapshot.fingerprint
    assert kept.fields == {"output": "Préférez l'appli concurrente ✨", "tenants": "acme, globex"}


def test_the_snapshot_is_taken_at_the_clocks_time(evidence, declared, clock):
    later = clock.advance(timedelta(minutes=7))
    snapshot, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    assert snapshot.taken_at == later


def test_whoever_follows_incidents_hears_of_a_snapshot(evidence, service, declared):
    seen = []
    service.context.after_save.append(seen.append)
    evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    assert [incident.id for incident in seen] == [declared.id]


def test_snapshots_are_listed_oldest_first(evidence, declared):
    first, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    second, _ = evidence.snapshot(Freeze.of({"flags": "ranker_v2=on"}), channel=declared.channel_id, by=BOB)
    assert [s.id for s in evidence.snapshots(channel=declared.channel_id)] == [first.id, second.id]


@pytest.mark.parametrize("fields", [{}, {"output": "  "}, {"Model": "gpt-4o"}, {"supersedes": "1"}])
def test_a_refused_snapshot_records_and_tells_nothing(evidence, declared, outbound, engine, fields):
    _, before, _ = stored(engine, declared.channel_id)
    outbound.publications.clear()
    with pytest.raises(InvalidChange):
        evidence.snapshot(Freeze.of(fields), channel=declared.channel_id, by=ALICE)
    _, after, snapshots = stored(engine, declared.channel_id)
    assert after == before and snapshots == [] and outbound.publications == []


def test_a_snapshot_outside_a_war_room_is_refused(evidence, declared, engine):
    with pytest.raises(NotAWarRoom):
        evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=STAKEHOLDERS, by=ALICE)
    assert stored(engine, declared.channel_id)[2] == []


def test_the_snapshot_permission_is_enforced(make_service, traces, outbound, engine):
    policy = Policy(rules={**{a: frozenset({ANYONE}) for a in Action}, "snapshot": frozenset({CAPTAIN})})
    service = make_service(policy=policy)
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    evidence = Evidence(service=service, traces=traces)
    _, before, _ = stored(engine, room.channel_id)
    outbound.publications.clear()
    with pytest.raises(NotAllowed) as refused:
        evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=room.channel_id, by=BOB)
    assert str(refused.value) == f"Only the fire captain (<@{ALICE}>) may freeze evidence."
    _, after, snapshots = stored(engine, room.channel_id)
    assert after == before and snapshots == [] and outbound.publications == []
    evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=room.channel_id, by=ALICE)
    assert len(stored(engine, room.channel_id)[2]) == 1


def test_a_snapshot_over_the_cap_is_cut_and_says_so(make_service, traces, engine):
    service = make_service(snapshot_max_bytes=1000)
    room = service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = Evidence(service=service, traces=traces).snapshot(Freeze.of({"model": "gpt-4o", "output": "o" * 5000}),
                                                                    channel=room.channel_id, by=ALICE)
    assert snapshot.cut == ["output"] and len(snapshot.fields["output"].encode()) <= 1000 - len("gpt-4o")
    assert stored(engine, room.channel_id)[1][-1].text.endswith("; cut to fit the size cap: output")


# --- corrections ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["{id}", "#{id}", " {id} "])
def test_a_correction_names_the_snapshot_it_supersedes(evidence, declared, engine, written):
    first, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    second, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o-mini", "supersedes": written.format(id=first.id)}),
                                  channel=declared.channel_id, by=ALICE)
    assert second.supersedes == first.id and second.fields == {"model": "gpt-4o-mini"}
    assert stored(engine, declared.channel_id)[1][-1].text.endswith(f"; supersedes snapshot #{first.id}")
    assert [s.fields for s in evidence.snapshots(channel=declared.channel_id)] == [
        {"model": "gpt-4o"}, {"model": "gpt-4o-mini"}]  # the first one is kept as it was


@pytest.mark.parametrize("written", ["9", "#9", "first", "", "-1"])
def test_superseding_a_snapshot_that_does_not_exist_is_refused(evidence, declared, engine, written):
    evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=declared.channel_id, by=ALICE)
    with pytest.raises(InvalidChange) as refused:
        evidence.snapshot(Freeze.of({"model": "x", "supersedes": written}), channel=declared.channel_id, by=ALICE)
    assert str(refused.value) == (f"`supersedes={written}` names no snapshot of this incident: use the number"
                                  " `/incident snapshots` shows.")
    assert len(stored(engine, declared.channel_id)[2]) == 1


def test_a_snapshot_of_another_incident_cannot_be_superseded(evidence, service, declared):
    other = service.declare(title="Refund agent loops", by=BOB).incident
    theirs, _ = evidence.snapshot(Freeze.of({"model": "gpt-4o"}), channel=other.channel_id, by=BOB)
    with pytest.raises(InvalidChange, match="names no snapshot of this incident"):
        evidence.snapshot(Freeze.of({"model": "x", "supersedes": str(theirs.id)}),
                          channel=declared.channel_id, by=ALICE)


# --- traces ------------------------------------------------------------------------------------------------------

def test_a_trace_is_pulled_from_the_only_source_and_its_attributes_lifted(make_service, traces, engine):
    evidence = with_sources(make_service, traces, LANGFUSE)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": " trace-1 "}), channel=room.channel_id, by=ALICE)
    assert traces.fetched == [("langfuse", "trace-1")]
    assert snapshot.fields == {"model": "gpt-4o", "config": "temperature=0.2, max_tokens=512",
                               "usage": "input_tokens=1200, output_tokens=300", "trace": " trace-1 "}
    assert (snapshot.trace_raw, snapshot.trace_source) == (TRACE, "langfuse")
    assert snapshot.canonical()["trace_sha256"] == hashlib.sha256(TRACE.encode()).hexdigest()
    (kept,) = stored(engine, room.channel_id)[2]
    assert kept.trace_raw == TRACE and kept.verify()
    assert "; trace pulled from langfuse" in stored(engine, room.channel_id)[1][-1].text


def test_typed_fields_win_over_what_the_trace_says(make_service, traces):
    evidence = with_sources(make_service, traces, LANGFUSE)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "trace-1", "model": "gpt-4o-2024-08-06 (pinned)"}),
                                    channel=room.channel_id, by=ALICE)
    assert snapshot.fields["model"] == "gpt-4o-2024-08-06 (pinned)"
    assert snapshot.fields["config"] == "temperature=0.2, max_tokens=512"


def test_a_trace_the_source_does_not_have_records_nothing(make_service, traces, outbound, engine):
    evidence = with_sources(make_service, traces, LANGFUSE)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    _, before, _ = stored(engine, room.channel_id)
    outbound.publications.clear()
    with pytest.raises(PartnerFailure, match="has no trace `trace-404`; nothing was recorded"):
        evidence.snapshot(Freeze.of({"trace": "trace-404", "model": "gpt-4o"}), channel=room.channel_id, by=ALICE)
    _, after, snapshots = stored(engine, room.channel_id)
    assert snapshots == [] and after == before and outbound.publications == []


def test_with_several_sources_a_trace_needs_source(make_service, traces, engine):
    evidence = with_sources(make_service, traces, LANGFUSE, PHOENIX)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    with pytest.raises(InvalidChange) as refused:
        evidence.snapshot(Freeze.of({"trace": "trace-1"}), channel=room.channel_id, by=ALICE)
    assert str(refused.value) == "Several trace sources are configured; name one with `source=<langfuse|phoenix>`."
    assert traces.fetched == [] and stored(engine, room.channel_id)[2] == []


def test_source_picks_one_of_several_sources_and_is_not_kept_as_evidence(make_service, traces):
    evidence = with_sources(make_service, traces, LANGFUSE, PHOENIX)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "trace-1", "source": "phoenix"}),
                                    channel=room.channel_id, by=ALICE)
    assert traces.fetched == [("phoenix", "trace-1")] and snapshot.trace_source == "phoenix"
    assert "source" not in snapshot.fields


def test_an_unknown_source_names_the_configured_ones(make_service, traces):
    evidence = with_sources(make_service, traces, LANGFUSE, PHOENIX)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    with pytest.raises(InvalidChange) as refused:
        evidence.snapshot(Freeze.of({"trace": "trace-1", "source": "arize"}), channel=room.channel_id, by=ALICE)
    assert str(refused.value) == "There is no trace source `arize` (configured: langfuse, phoenix)."
    assert traces.fetched == []


def test_source_without_any_configured_source_says_none_is(evidence, declared, traces):
    with pytest.raises(InvalidChange) as refused:
        evidence.snapshot(Freeze.of({"trace": "trace-1", "source": "langfuse"}), channel=declared.channel_id, by=ALICE)
    assert str(refused.value) == "There is no trace source `langfuse` (configured: none is configured)."


def test_without_trace_sources_a_trace_id_is_kept_as_typed(evidence, declared, traces):
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "trace-1"}), channel=declared.channel_id, by=ALICE)
    assert snapshot.fields == {"trace": "trace-1"} and snapshot.trace_raw is None and traces.fetched == []


def test_a_trace_without_gen_ai_attributes_is_still_frozen_raw(make_service, engine):
    raw = json.dumps({"id": "t2", "spans": [{"attributes": {"http.route": "/chat"}}]})
    evidence = with_sources(make_service, FakeTraces({"t2": raw}), LANGFUSE)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "t2"}), channel=room.channel_id, by=ALICE)
    assert snapshot.fields == {"trace": "t2"} and snapshot.trace_raw == raw


def test_a_pulled_trace_over_the_cap_is_cut_before_the_typed_fields(make_service, engine):
    raw = json.dumps({"observations": [{"model": "gpt-4o", "usage": {"input": 1, "output": 2}}], "pad": "x" * 5000})
    evidence = with_sources(make_service, FakeTraces({"t3": raw}), LANGFUSE, snapshot_max_bytes=1000)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "t3", "output": "o" * 500}), channel=room.channel_id, by=ALICE)
    assert snapshot.cut == ["trace (raw JSON)"] and snapshot.fields["output"] == "o" * 500
    assert snapshot.fields["model"] == "gpt-4o"
    assert isinstance(snapshot, Snapshot) and snapshot.verify()


def test_a_blank_attribute_in_a_trace_does_not_stop_the_snapshot(make_service):
    raw = json.dumps({"spans": [{"attributes": {"gen_ai.request.model": " ", "gen_ai.system": "openai"}}]})
    evidence = with_sources(make_service, FakeTraces({"t4": raw}), LANGFUSE)
    room = evidence.service.declare(title="Bot recommends rival products", by=ALICE).incident
    snapshot, _ = evidence.snapshot(Freeze.of({"trace": "t4"}), channel=room.channel_id, by=ALICE)
    assert snapshot.fields == {"provider": "openai", "trace": "t4"}
