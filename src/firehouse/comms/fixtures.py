"""Eval fixtures as the suites a release gate runs: JSONL for inspect_ai and OpenAI evals, tests for promptfoo.

Both are data, never instructions: what an incident's user sent, the bad output and the strings that
must never appear reach the eval tool exactly as they were written down, whatever braces, Slack markup
or non-ASCII they hold. Both are deterministic (sorted keys, UTF-8), so a suite in version control
changes only where the fixtures did.

- `to_jsonl`: one sample a line, read as-is by inspect_ai's `json_dataset` (`id`, `input` as chat messages,
  `target`, `metadata`) and by OpenAI evals (`input`, `ideal`).
- `to_promptfoo`: a promptfoo tests file, the list a config names with `tests: file://fixtures.json`
  (JSON is YAML too, so the file may be named `.yaml`). Each test's `vars` hold the chat as `messages`
  (a prompt `'{{ messages | dump }}'` sends them as they were) and the last user message as `query`.

promptfoo reads an assertion's value as a Nunjucks template, and a value (or a top-level var) that starts
with `file://` or `package:` as code or a file to load. So an assertion value that holds template marks
or starts with a loader prefix is written as one Nunjucks string literal, `{{ "…" }}`, which renders back to
exactly the fixture's text; a `query` that promptfoo would load or expand is left out (`messages` holds it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from firehouse.domain.afteraction import Fixture

MAX_DESCRIPTION = 80  # characters of the failing input shown in a promptfoo test's description
_TEMPLATE_MARKS = ("{{", "{%", "{#", "#}")  # what Nunjucks reads as a tag, outside one as an error
_LOADER_PREFIXES = ("file://", "package:")  # promptfoo loads or runs a value that starts with one
_OTHER_VARS = re.compile(r"\{\{\s*(?:messages|query)\s*\}\}")  # promptfoo expands these in a var's text


def to_jsonl(fixtures: Iterable[Fixture]) -> str:
    """One JSON sample a line: `id`, `input`, `target`, `ideal` (when there is a target) and `metadata`.

    `ideal` is left out without a target: OpenAI evals' match classes would pass every answer against "".
    """
    return "".join(_json(_sample(fixture)) + "\n" for fixture in fixtures)


def to_promptfoo(fixtures: Iterable[Fixture]) -> str:
    """A promptfoo tests file: a JSON list of tests with `description`, `vars`, `assert` and `metadata`."""
    tests = [_test(fixture) for fixture in fixtures]
    return _json(tests, indent=2) + "\n"


def _sample(fixture: Fixture) -> dict[str, Any]:
    sample: dict[str, Any] = {"id": fixture.key, "input": _messages(fixture), "target": fixture.target,
                              "metadata": _metadata(fixture)}
    if fixture.target:
        sample["ideal"] = fixture.target
    return sample


def _metadata(fixture: Fixture) -> dict[str, Any]:
    """Where the fixture came from and everything a grader needs, beside the sample's input and target."""
    return {
        "class": "", "cause": "", "model": "", "prompt_version": "",
        **fixture.metadata,
        "incident": fixture.incident_id,
        "fixture_id": fixture.id,
        "snapshot_id": fixture.snapshot_id,
        "bad_output": fixture.bad_output,
        "forbidden": list(fixture.forbidden),
        "rubric": fixture.rubric,
        "tags": list(fixture.tags),
        "created_at": fixture.created_at.isoformat(),
    }


def _test(fixture: Fixture) -> dict[str, Any]:
    query = _last_user_message(fixture)
    variables: dict[str, Any] = {"messages": _messages(fixture)}
    if not (query.startswith(_LOADER_PREFIXES) or _OTHER_VARS.search(query)):
        variables["query"] = query
    asserts = [{"type": "not-contains", "value": _template_literal(text)} for text in fixture.forbidden]
    if fixture.rubric:
        asserts.append({"type": "llm-rubric", "value": _template_literal(fixture.rubric)})
    elif fixture.target:
        asserts.append({"type": "llm-rubric", "value": _template_literal(f"The answer agrees with: {fixture.target}")})
    metadata = {
        **fixture.metadata,
        "incident": fixture.incident_id,
        "fixture": fixture.key,
        "tags": list(fixture.tags),
    }
    return {"description": f"{fixture.key}: {_summary(query)}", "vars": variables, "assert": asserts,
            "metadata": metadata}


def _messages(fixture: Fixture) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in fixture.input]


def _last_user_message(fixture: Fixture) -> str:
    return next((m["content"] for m in reversed(fixture.input) if m.get("role") == "user"), "")


def _summary(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= MAX_DESCRIPTION else line[:MAX_DESCRIPTION - 1] + "…"


def _template_literal(text: str) -> str:
    """`text` as a promptfoo assertion value that renders back to exactly `text`: as it is when it holds no
    template marks, else one Nunjucks string literal, in which only backslashes and double quotes are escaped."""
    if not (text.startswith(_LOADER_PREFIXES) or any(mark in text for mark in _TEMPLATE_MARKS)):
        return text
    return '{{ "' + text.replace("\\", "\\\\").replace('"', '\\"') + '" }}'


def _json(value: Any, *, indent: int | None = None) -> str:
    """Sorted keys and UTF-8 as written; U+2028 and U+2029 escaped, since some readers end a line there."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
