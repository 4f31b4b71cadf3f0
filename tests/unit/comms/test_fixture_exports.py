"""The fixture exports, read back the way inspect_ai and promptfoo read them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from firehouse.comms.fixtures import to_jsonl, to_promptfoo
from firehouse.domain.afteraction import Fixture

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
SCHEMA = Path(__file__).parents[2] / "fixtures" / "promptfoo-config-schema.json"
TRICKY = "Ünïcode ✓ {{ env.OPENAI_API_KEY }} {% raw %} {# x #} <!channel> \"quoted\" back\\slash"


def fixture(**changes) -> Fixture:
    fields = {
        "incident_id": 12, "id": 3, "created_by": "U1", "created_at": AT,
        "input": [{"role": "system", "content": "You are the refunds assistant."},
                  {"role": "user", "content": "Can I get a refund after 90 days?"}],
        "bad_output": "Yes, always, no questions asked.",
        "target": "Refunds are possible within 30 days only.",
        "rubric": "Cites the 30-day limit and does not promise a refund.",
        "forbidden": ["no questions asked", "always"],
        "tags": ["refunds", "policy"],
        "snapshot_id": 7,
        "metadata": {"incident": "12", "class": "output", "cause": "prompt", "model": "gpt-x-2026-01",
                     "prompt_version": "refunds-v14", "severity": "SEV2"},
    }
    return Fixture(**{**fields, **changes})


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# --- JSONL: inspect_ai and OpenAI evals ---------------------------------------------------------------------


def test_a_jsonl_line_is_one_sample_with_its_provenance():
    assert lines(to_jsonl([fixture()])) == [{
        "id": "incident-12-fixture-3",
        "input": [{"role": "system", "content": "You are the refunds assistant."},
                  {"role": "user", "content": "Can I get a refund after 90 days?"}],
        "target": "Refunds are possible within 30 days only.",
        "ideal": "Refunds are possible within 30 days only.",
        "metadata": {
            "incident": 12, "fixture_id": 3, "snapshot_id": 7, "class": "output", "cause": "prompt",
            "model": "gpt-x-2026-01", "prompt_version": "refunds-v14", "severity": "SEV2",
            "bad_output": "Yes, always, no questions asked.", "forbidden": ["no questions asked", "always"],
            "rubric": "Cites the 30-day limit and does not promise a refund.", "tags": ["refunds", "policy"],
            "created_at": "2026-11-23T02:05:00+00:00",
        },
    }]


def test_without_a_target_there_is_no_ideal_for_every_answer_to_match():
    sample, = lines(to_jsonl([fixture(target="", metadata={})]))
    assert "ideal" not in sample and sample["target"] == ""
    assert {k: sample["metadata"][k] for k in ("class", "cause", "model", "prompt_version")} == {
        "class": "", "cause": "", "model": "", "prompt_version": ""}


def test_jsonl_is_one_line_a_fixture_in_order_with_sorted_keys_and_utf8_as_written():
    text = to_jsonl([fixture(), fixture(id=4, metadata={"severity": "SEV1", "class": "data"})])
    assert text.endswith("\n") and text.count("\n") == 2
    assert [s["id"] for s in lines(text)] == ["incident-12-fixture-3", "incident-12-fixture-4"]
    first = text.splitlines()[0]
    assert first == json.dumps(json.loads(first), ensure_ascii=False, sort_keys=True)
    assert to_jsonl([fixture(metadata=dict(reversed(fixture().metadata.items())))]) == to_jsonl([fixture()])


def test_unicode_braces_and_slack_markup_pass_through_jsonl_as_data():
    messages = [{"role": "user", "content": TRICKY + "\nline\u2028break"}]
    text = to_jsonl([fixture(input=messages, target=TRICKY, forbidden=[TRICKY], bad_output=TRICKY)])
    assert "Ünïcode ✓" in text and "\\u00dc" not in text  # UTF-8, not ASCII escapes
    assert "\u2028" not in text and text.count("\n") == 1  # a line separator never splits the line
    sample, = lines(text)
    assert sample["input"] == messages
    assert sample["target"] == sample["metadata"]["bad_output"] == sample["metadata"]["forbidden"][0] == TRICKY


def test_no_fixtures_export_as_empty_suites():
    assert to_jsonl([]) == ""
    assert to_promptfoo([]) == "[]\n"  # an empty list: a file promptfoo still loads


def test_inspect_ai_reads_the_jsonl_as_chat_samples_with_target_and_metadata(tmp_path):
    if in_ci():
        from inspect_ai import dataset  # CI installs the `evals` extra: missing there, this test fails
    else:
        dataset = pytest.importorskip("inspect_ai.dataset", reason="the `evals` extra (inspect-ai) is not installed")
    path = tmp_path / "fixtures.jsonl"
    tricky = [{"role": "user", "content": TRICKY}]
    path.write_text(to_jsonl([fixture(), fixture(id=4, input=tricky, target="", rubric="")]), encoding="utf-8")
    first, second = dataset.json_dataset(str(path))
    assert (first.id, second.id) == ("incident-12-fixture-3", "incident-12-fixture-4")
    assert [(m.role, m.content) for m in first.input] == [("system", "You are the refunds assistant."),
                                                           ("user", "Can I get a refund after 90 days?")]
    assert [(m.role, m.content) for m in second.input] == [("user", TRICKY)]
    assert (first.target, second.target) == ("Refunds are possible within 30 days only.", "")
    assert first.metadata == lines(to_jsonl([fixture()]))[0]["metadata"]
    assert first.metadata["forbidden"] == ["no questions asked", "always"]
    assert second.metadata["incident"] == 12 and second.metadata["fixture_id"] == 4


# --- promptfoo ------------------------------------------------------------------------------------------------


def test_a_promptfoo_test_has_the_chat_the_query_the_asserts_and_the_metadata():
    assert json.loads(to_promptfoo([fixture()])) == [{
        "description": "incident-12-fixture-3: Can I get a refund after 90 days?",
        "vars": {
            "messages": [{"role": "system", "content": "You are the refunds assistant."},
                         {"role": "user", "content": "Can I get a refund after 90 days?"}],
            "query": "Can I get a refund after 90 days?",
        },
        "assert": [
            {"type": "not-contains", "value": "no questions asked"},
            {"type": "not-contains", "value": "always"},
            {"type": "llm-rubric", "value": "Cites the 30-day limit and does not promise a refund."},
        ],
        "metadata": {"incident": 12, "fixture": "incident-12-fixture-3", "class": "output", "cause": "prompt",
                     "model": "gpt-x-2026-01", "prompt_version": "refunds-v14", "severity": "SEV2",
                     "tags": ["refunds", "policy"]},
    }]


@pytest.mark.parametrize(("target", "rubric", "judged"), [
    ("30 days only.", "Cites the limit.", ["Cites the limit."]),
    ("30 days only.", "", ["The answer agrees with: 30 days only."]),
    ("", "Cites the limit.", ["Cites the limit."]),
    ("", "", []),
])
def test_the_rubric_is_judged_and_without_one_the_target(target, rubric, judged):
    test, = json.loads(to_promptfoo([fixture(target=target, rubric=rubric, forbidden=["x"])]))
    assert test["assert"] == [{"type": "not-contains", "value": "x"}] + [
        {"type": "llm-rubric", "value": text} for text in judged]


def test_the_query_is_the_last_user_message_and_the_description_its_first_line_cut_short():
    chat = [{"role": "user", "content": "first try"}, {"role": "assistant", "content": "no"},
            {"role": "user", "content": "x" * 100 + "\nsecond line"}]
    test, = json.loads(to_promptfoo([fixture(input=chat)]))
    assert test["vars"] == {"messages": chat, "query": "x" * 100 + "\nsecond line"}
    assert test["description"] == "incident-12-fixture-3: " + "x" * 79 + "…"


def test_unicode_braces_and_slack_markup_pass_through_promptfoo_as_data():
    chat = [{"role": "user", "content": TRICKY}]
    test, = json.loads(to_promptfoo([fixture(input=chat, forbidden=["<!channel> ✓", TRICKY], rubric=TRICKY)]))
    assert test["vars"] == {"messages": chat, "query": TRICKY}  # vars are never rendered as templates
    # Assertion values are Nunjucks templates to promptfoo: text with template marks becomes one string
    # literal that renders back to exactly the text (the env secret is never read, nothing is run).
    literal = '{{ "' + TRICKY.replace("\\", "\\\\").replace('"', '\\"') + '" }}'
    assert test["assert"] == [
        {"type": "not-contains", "value": "<!channel> ✓"},
        {"type": "not-contains", "value": literal},
        {"type": "llm-rubric", "value": literal},
    ]


@pytest.mark.parametrize("text", ["file://secrets.txt", "file://grader.py", "package:evil:run"])
def test_text_promptfoo_would_load_or_run_stays_text(text):
    chat = [{"role": "user", "content": text}]
    test, = json.loads(to_promptfoo([fixture(input=chat, forbidden=[text], rubric="", target="")]))
    assert test["vars"] == {"messages": chat}  # a `query` var starting so would be loaded; `messages` has it
    assert test["assert"] == [{"type": "not-contains", "value": '{{ "' + text + '" }}'}]


def test_a_query_naming_another_var_is_left_out_since_promptfoo_would_expand_it():
    test, = json.loads(to_promptfoo([fixture(input=[{"role": "user", "content": "say {{ messages }}"}])]))
    assert "query" not in test["vars"]


def test_promptfoo_output_is_deterministic_and_utf8():
    text = to_promptfoo([fixture(input=[{"role": "user", "content": TRICKY}]), fixture(id=4)])
    assert text == to_promptfoo([fixture(input=[{"role": "user", "content": TRICKY}]), fixture(id=4)])
    assert "Ünïcode ✓" in text and text.endswith("]\n")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def promptfoo_config(tests: list) -> dict:
    """The smallest config that names the exported tests, as a gate's promptfooconfig would."""
    return {"prompts": ["{{ messages | dump }}"], "providers": ["echo"], "tests": tests}


def test_the_promptfoo_tests_fit_promptfoos_published_config_schema():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    tests = json.loads(to_promptfoo([fixture(), fixture(id=4, input=[{"role": "user", "content": TRICKY}],
                                                        forbidden=[TRICKY, "file://x"], rubric="")]))
    jsonschema.validate(promptfoo_config(tests), schema, cls=jsonschema.Draft7Validator)
    # The schema accepts any assertion type (for the `not-` forms); check the names against its lists.
    known = set().union(*(e for e in _enums(schema) if "llm-rubric" in e))
    assert {a["type"].removeprefix("not-") for t in tests for a in t["assert"]} <= known


def test_the_schema_catches_a_malformed_test():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    test, = json.loads(to_promptfoo([fixture()]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(promptfoo_config([{**test, "asserts": test["assert"]}]), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(promptfoo_config([{**test, "assert": [{"value": "x"}]}]), schema)


def _enums(node) -> list[list]:
    if isinstance(node, dict):
        return ([node["enum"]] if isinstance(node.get("enum"), list) else []) + [
            e for value in node.values() for e in _enums(value)]
    if isinstance(node, list):
        return [e for value in node for e in _enums(value)]
    return []
