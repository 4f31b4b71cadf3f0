"""Snapshots: frozen evidence whose fingerprint proves it was not edited, cut to fit the size cap."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.snapshots import MAX_FIELDS, Snapshot, SnapshotTaken, check_key
from firehouse.errors import InvalidChange

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CAP = 1_000_000
FIELDS = {"model": "gpt-4o", "prompt_version": "support-v41", "output": "Try our rival's app"}
TRACE = '{"id": "trace-1", "observations": []}'


def freeze(fields=None, *, cap: int = CAP, **changes) -> Snapshot:
    given = {"incident_id": 7, "by": "UALICE", "at": AT, "cap": cap, **changes}
    return Snapshot.freeze(dict(FIELDS if fields is None else fields), **given)


def evidence_bytes(snapshot: Snapshot) -> int:
    """What the cap counts: every field's value and the raw trace, in UTF-8."""
    return sum(len(v.encode("utf-8")) for v in snapshot.fields.values()) + len((snapshot.trace_raw or "").encode())


def recomputed(snapshot: Snapshot) -> str:
    """The fingerprint worked out here, independently of the code under test."""
    document = {
        "incident": snapshot.incident_id,
        "taken_by": snapshot.taken_by,
        "taken_at": snapshot.taken_at.isoformat(),
        "fields": snapshot.fields,
        "supersedes": snapshot.supersedes,
        "trace_source": snapshot.trace_source,
        "trace_sha256": None if snapshot.trace_raw is None else hashlib.sha256(snapshot.trace_raw.encode()).hexdigest(),
        "cut": snapshot.cut,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the fingerprint ---------------------------------------------------------------------------------------

def test_the_fingerprint_is_the_sha256_of_the_canonical_json():
    snapshot = freeze()
    assert snapshot.fingerprint == recomputed(snapshot)
    assert len(snapshot.fingerprint) == 64 and int(snapshot.fingerprint, 16) >= 0


def test_the_fingerprint_covers_a_raw_trace_through_its_own_sha256():
    snapshot = freeze({"trace": "trace-1"}, trace_raw=TRACE, trace_source="langfuse")
    assert snapshot.fingerprint == recomputed(snapshot)
    assert snapshot.canonical()["trace_sha256"] == hashlib.sha256(TRACE.encode()).hexdigest()


def test_the_fingerprint_of_non_ascii_evidence_is_taken_over_utf8_not_escapes():
    snapshot = freeze({"output": "Préférez l'appli concurrente ✨"})
    assert snapshot.fingerprint == recomputed(snapshot)
    escaped = json.dumps(snapshot.canonical(), sort_keys=True, separators=(",", ":"))  # ensure_ascii=True
    assert snapshot.fingerprint != hashlib.sha256(escaped.encode()).hexdigest()


def test_the_fingerprint_does_not_depend_on_the_order_the_fields_were_given_in():
    forwards = freeze(FIELDS)
    backwards = freeze(dict(reversed(list(FIELDS.items()))))
    assert list(forwards.fields) != list(backwards.fields)
    assert forwards.fingerprint == backwards.fingerprint


@pytest.mark.parametrize("change", [
    pytest.param({"fields": {**FIELDS, "model": "gpt-4o-mini"}}, id="a field's value"),
    pytest.param({"fields": {**FIELDS, "flags": "ranker_v2=on"}}, id="one more field"),
    pytest.param({"fields": {k: v for k, v in FIELDS.items() if k != "output"}}, id="one field fewer"),
    pytest.param({"by": "UBOB"}, id="the author"),
    pytest.param({"at": AT + timedelta(seconds=1)}, id="the time"),
    pytest.param({"incident_id": 8}, id="the incident"),
    pytest.param({"supersedes": 3}, id="what it supersedes"),
    pytest.param({"trace_raw": TRACE}, id="a raw trace"),
    pytest.param({"trace_source": "phoenix", "trace_raw": TRACE}, id="the trace source"),
])
def test_the_fingerprint_changes_when_anything_it_covers_changes(change):
    base = freeze(trace_raw=TRACE if "trace_source" in change else None,
                  trace_source="langfuse" if "trace_source" in change else None)
    fields = change.pop("fields", FIELDS)
    changed = freeze(fields, **{"trace_raw": base.trace_raw, "trace_source": base.trace_source, **change})
    assert changed.fingerprint != base.fingerprint


def test_a_different_raw_trace_changes_the_fingerprint():
    assert freeze(trace_raw=TRACE).fingerprint != freeze(trace_raw=TRACE.replace("trace-1", "trace-2")).fingerprint


def test_the_same_evidence_frozen_twice_has_the_same_fingerprint():
    assert freeze(trace_raw=TRACE, supersedes=2).fingerprint == freeze(trace_raw=TRACE, supersedes=2).fingerprint


def test_verify_holds_for_an_untouched_snapshot():
    assert freeze(trace_raw=TRACE).verify()


@pytest.mark.parametrize("edit", [
    pytest.param(lambda s: s.fields.__setitem__("output", "A harmless answer"), id="a field edited"),
    pytest.param(lambda s: s.fields.pop("model"), id="a field removed"),
    pytest.param(lambda s: setattr(s, "taken_by", "UMALLORY"), id="the author changed"),
    pytest.param(lambda s: setattr(s, "taken_at", AT - timedelta(hours=1)), id="the time moved"),
    pytest.param(lambda s: setattr(s, "trace_raw", TRACE + " "), id="the raw trace edited"),
    pytest.param(lambda s: setattr(s, "supersedes", 1), id="a supersedes added"),
])
def test_verify_detects_an_edit_after_freezing(edit):
    snapshot = freeze(trace_raw=TRACE)
    edit(snapshot)
    assert not snapshot.verify()


def test_the_short_fingerprint_is_its_first_twelve_characters():
    snapshot = freeze()
    assert snapshot.short == snapshot.fingerprint[:12]


# --- what is refused --------------------------------------------------------------------------------------

def test_a_snapshot_without_fields_or_a_trace_is_refused():
    with pytest.raises(InvalidChange, match=r"needs at least one field, like `model=gpt-4o` or `trace=<id>`"):
        freeze({})


def test_a_raw_trace_alone_is_enough():
    snapshot = freeze({}, trace_raw=TRACE, trace_source="langfuse")
    assert snapshot.fields == {} and snapshot.trace_raw == TRACE


@pytest.mark.parametrize("value", ["", "   ", "\n\t"])
def test_an_empty_value_is_refused_naming_its_field(value):
    with pytest.raises(InvalidChange) as refused:
        freeze({"model": "gpt-4o", "output": value})
    assert str(refused.value) == "The field `output` is empty; leave it out or give it a value."


@pytest.mark.parametrize("key", ["Model", "1model", "_model", "model version", "model=x", "mödel", "",
                                 "m" + "x" * 40, "model;drop"])
def test_a_bad_field_name_is_refused_with_the_rule(key):
    with pytest.raises(InvalidChange) as refused:
        freeze({key: "gpt-4o"})
    assert "is not a field name: use a-z, 0-9, `_`, `.` or `-`, starting with a letter." in str(refused.value)


def test_a_very_long_bad_field_name_is_quoted_only_in_part():
    with pytest.raises(InvalidChange) as refused:
        freeze({"X" * 500: "value"})
    assert "X" * 41 not in str(refused.value)


@pytest.mark.parametrize("key", ["model", "model_version", "gen_ai.request.model", "tool-calls", "m" + "x" * 39])
def test_free_keys_following_the_rule_are_kept(key):
    assert freeze({key: "v"}).fields == {key: "v"}


def test_a_field_name_with_a_trailing_newline_is_refused():
    with pytest.raises(InvalidChange):
        check_key("model\n")


def test_more_fields_than_the_limit_are_refused():
    with pytest.raises(InvalidChange, match=f"at most {MAX_FIELDS} fields; this one has {MAX_FIELDS + 1}"):
        freeze({f"f{i}": "v" for i in range(MAX_FIELDS + 1)})
    assert len(freeze({f"f{i}": "v" for i in range(MAX_FIELDS)}).fields) == MAX_FIELDS


def test_freezing_copies_the_fields_so_the_callers_dict_cannot_edit_it():
    given = dict(FIELDS)
    snapshot = Snapshot.freeze(given, incident_id=7, by="UALICE", at=AT, cap=CAP)
    given["model"] = "something else"
    assert snapshot.fields["model"] == "gpt-4o" and snapshot.verify()


# --- the size cap -----------------------------------------------------------------------------------------

def test_evidence_within_the_cap_is_kept_whole():
    snapshot = freeze({"output": "x" * 100}, cap=100, trace_raw=None)
    assert snapshot.fields == {"output": "x" * 100} and snapshot.cut == []


def test_the_raw_trace_is_cut_first_and_the_fields_kept_whole():
    fields = {"model": "gpt-4o", "output": "o" * 300}
    snapshot = freeze(fields, cap=1000, trace_raw="t" * 5000, trace_source="langfuse")
    assert snapshot.fields == fields
    assert snapshot.cut == ["trace (raw JSON)"]
    assert snapshot.trace_raw.endswith(" …[cut]") and snapshot.trace_raw.startswith("t" * 100)
    assert evidence_bytes(snapshot) == 1000


def test_when_cutting_the_trace_is_not_enough_the_longest_field_is_cut_next():
    fields = {"model": "gpt-4o", "input": "i" * 600, "output": "o" * 2000}
    snapshot = freeze(fields, cap=1000, trace_raw="t" * 5000)
    assert snapshot.cut == ["trace (raw JSON)", "output"]
    assert snapshot.fields["input"] == "i" * 600 and snapshot.fields["model"] == "gpt-4o"
    assert snapshot.fields["output"].startswith("o" * 100) and snapshot.fields["output"].endswith(" …[cut]")
    assert evidence_bytes(snapshot) <= 1000


def test_fields_are_cut_longest_first_until_the_evidence_fits():
    fields = {"model": "gpt-4o", "input": "i" * 1500, "output": "o" * 3000, "expected": "e" * 900}
    snapshot = freeze(fields, cap=1000)
    assert snapshot.cut[:2] == ["output", "input"]
    assert all(snapshot.fields[key].endswith("…[cut]") for key in snapshot.cut)
    assert all(snapshot.fields[key] == fields[key] for key in fields if key not in snapshot.cut)
    assert evidence_bytes(snapshot) <= 1000


def test_a_field_that_is_not_cut_is_not_marked():
    snapshot = freeze({"model": "gpt-4o", "output": "o" * 2000}, cap=1000)
    assert snapshot.cut == ["output"] and snapshot.fields["model"] == "gpt-4o"


@pytest.mark.parametrize("cap", [1000, 1001, 1002, 1003, 1004, 1500, 4096])
@pytest.mark.parametrize("character", ["a", "é", "€", "🔥"])  # 1, 2, 3 and 4 bytes in UTF-8
def test_cut_evidence_fits_in_the_cap_and_never_splits_a_character(cap, character):
    fields = {"model": "gpt-4o", "output": character * 3000, "input": "in " * 10}
    snapshot = freeze(fields, cap=cap, trace_raw=json.dumps({"text": character * 2000}, ensure_ascii=False))
    assert evidence_bytes(snapshot) <= cap
    kept = snapshot.fields["output"].removesuffix(" …[cut]")
    assert set(kept) == {character}  # a split character would have left a replacement or been dropped whole
    for value in (*snapshot.fields.values(), snapshot.trace_raw):
        value.encode("utf-8").decode("utf-8")  # valid UTF-8 all the way
    assert snapshot.fingerprint == recomputed(snapshot) and snapshot.verify()


def test_a_cut_snapshot_lists_what_was_cut_in_its_fingerprint():
    whole = freeze({"output": "o" * 2000}, cap=CAP)
    cut = freeze({"output": "o" * 2000}, cap=1000)
    assert cut.canonical()["cut"] == ["output"] and whole.canonical()["cut"] == []
    assert cut.fingerprint == recomputed(cut)


def test_a_field_with_exactly_eight_bytes_of_room_is_still_cut_to_fit():
    snapshot = freeze({"output": "o" * 2000, "input": "i" * 992}, cap=1000)
    assert evidence_bytes(snapshot) <= 1000


# --- the event and its timeline entry ---------------------------------------------------------------------

def test_the_event_carries_what_the_timeline_and_the_war_room_need():
    snapshot = freeze({"model": "gpt-4o", "output": "o" * 2000}, cap=1000, supersedes=2, trace_source="langfuse",
                      trace_raw=TRACE)
    snapshot.id = 5
    event = snapshot.event()
    assert event == SnapshotTaken(at=AT, by="UALICE", snapshot_id=5, keys=("model", "output"),
                                  fingerprint=snapshot.fingerprint, supersedes=2, cut=tuple(snapshot.cut),
                                  trace_source="langfuse")


def test_the_timeline_entry_names_the_snapshot_its_keys_and_its_fingerprint():
    snapshot = freeze()
    snapshot.id = 4
    entry = snapshot.event().timeline_entry()
    assert (entry.at, entry.author, entry.kind) == (AT, "UALICE", "snapshot")
    assert entry.text == f"Snapshot #4 frozen: model, prompt_version, output (sha256 {snapshot.fingerprint})"


def test_the_timeline_entry_names_the_trace_source_the_superseded_snapshot_and_what_was_cut():
    snapshot = freeze({"trace": "trace-1", "output": "o" * 2000}, cap=1000, supersedes=3, trace_raw="t" * 900,
                      trace_source="langfuse")
    snapshot.id = 9
    text = snapshot.event().timeline_entry().text
    assert text == (f"Snapshot #9 frozen: trace, output (sha256 {snapshot.fingerprint}); trace pulled from langfuse;"
                    f" supersedes snapshot #3; cut to fit the size cap: trace (raw JSON), output")


def test_a_snapshot_of_a_trace_alone_says_so():
    snapshot = freeze({}, trace_raw=TRACE, trace_source="phoenix")
    snapshot.id = 1
    assert snapshot.event().timeline_entry().text.startswith("Snapshot #1 frozen: a trace (sha256 ")


def test_the_event_of_an_unsaved_snapshot_says_number_zero():
    assert replace(freeze(), id=None).event().snapshot_id == 0
