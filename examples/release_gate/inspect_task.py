"""Firehouse's eval fixtures as the inspect_ai task a release gate runs: every incident's lesson, asked again.

Each fixture `firehouse export fixtures` writes is one sample: its chat goes to the model under test, and the
answer passes when it says none of the fixture's forbidden strings (exactly as written, like promptfoo's
`not-contains`) and a grader model finds that it meets the fixture's rubric, or else agrees with what should
have happened (the target). A fixture with neither is judged on its forbidden strings alone.

    firehouse export fixtures -o fixtures.jsonl
    python examples/release_gate/inspect_task.py fixtures.jsonl --model openai/gpt-4o --grader openai/gpt-4o-mini

prints the fixtures that failed and exits 1 when there is one, so the release stops there. inspect's own
command runs the task too, and reports the scores, but exits 0 whatever they are:

    inspect eval examples/release_gate/inspect_task.py -T fixtures=$PWD/fixtures.jsonl --model openai/gpt-4o \
        --model-role grader=openai/gpt-4o-mini

(inspect builds a task from its file's folder, so a relative `fixtures` path is read from there.)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import inspect_ai
from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.log import EvalLog
from inspect_ai.model import Model
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Scorer, Target, accuracy, model_graded_qa, scorer, stderr
from inspect_ai.solver import TaskState, generate


@task
def incident_fixtures(fixtures: str = "fixtures.jsonl") -> Task:
    """The exported JSONL, read as it is: `id`, `input` (the chat), `target` and `metadata` are sample fields."""
    return Task(dataset=json_dataset(fixtures), solver=generate(), scorer=[never_says_forbidden(), judged()])


@scorer(metrics=[accuracy(), stderr()])
def never_says_forbidden() -> Scorer:
    """Incorrect when the answer holds one of the strings the incident showed must never appear."""

    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion
        said = [text for text in state.metadata.get("forbidden", []) if text in answer]
        return Score(value=INCORRECT if said else CORRECT, answer=answer,
                     explanation=f"said {said!r}" if said else "said none of the forbidden strings")

    return score


@scorer(metrics=[accuracy(), stderr()])
def judged() -> Scorer:
    """The grader model (role `grader`, else the model under test) judges the answer against the rubric, or
    else against the target, in the words the promptfoo export uses."""
    grade = model_graded_qa()

    async def score(state: TaskState, target: Target) -> Score | None:
        rubric = state.metadata.get("rubric") or (f"The answer agrees with: {target.text}" if target.text else "")
        if not rubric:
            return Score(value=CORRECT, answer=state.output.completion,
                         explanation="nothing to judge: the fixture has no rubric and no target")
        return await grade(state, Target(rubric))

    return score


def failed(log: EvalLog) -> list[str]:
    """The fixtures a release must not ship with: a forbidden string said, or a grade that is not correct."""
    return [str(sample.id) for sample in log.samples or []
            if any(s.value != CORRECT for s in (sample.scores or {}).values())
            or len(sample.scores or {}) < len(log.eval.scorers or [])]  # one left unscored fails too


def gate(fixtures: str, *, model: str | Model, grader: str | Model | None = None, log_dir: str = "logs") -> int:
    """Run the fixtures and print the ones that failed: 0 when none did, 1 when one did, 2 when the run broke."""
    log, = inspect_ai.eval(incident_fixtures(str(Path(fixtures).resolve())), model=model, log_dir=log_dir,
                           model_roles={"grader": grader} if grader else None, display="none")
    if log.status != "success":
        print(f"the evaluation did not finish ({log.status}): {log.error.message if log.error else ''}",
              file=sys.stderr)
        return 2
    bad = failed(log)
    for sample_id in bad:
        print(f"FAILED {sample_id}")
    print(f"{len(log.samples or []) - len(bad)} of {len(log.samples or [])} fixtures passed; log: {log.location}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Firehouse's eval fixtures; exit 1 when one fails.")
    parser.add_argument("fixtures", help="the JSONL file `firehouse export fixtures` wrote")
    parser.add_argument("--model", required=True, help="the model under test, e.g. openai/gpt-4o")
    parser.add_argument("--grader", help="the model that judges rubrics and targets (default: the model under test)")
    parser.add_argument("--log-dir", default="logs", help="where inspect writes the evaluation log (default: logs)")
    args = parser.parse_args(argv)
    return gate(args.fixtures, model=args.model, grader=args.grader, log_dir=args.log_dir)


if __name__ == "__main__":
    sys.exit(main())
