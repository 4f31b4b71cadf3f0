"""The declare modal: its view, and reading a submission back into plain values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from firehouse.domain.classes import Catalog
from firehouse.domain.model import MAX_DESCRIPTION, MAX_TITLE
from firehouse.domain.severity import Severity, propose_severity
from firehouse.slack.limits import OPTION_TEXT, shorten

DECLARE_CALLBACK = "declare"
QUESTIONS_ACTION = "severity_questions"
QUESTIONS = {
    "harm": "Harm reached users",
    "irreversible": "An irreversible action happened or data was exposed",
    "legal": "There is legal or safety exposure",
}


@dataclass(frozen=True)
class DeclareForm:
    """What the person submitted in the declare modal."""

    title: str
    class_id: str
    answers: frozenset[str]
    severity_override: Severity | None
    override_reason: str
    description: str
    captain: str | None
    origin_channel: str | None

    @property
    def proposed(self) -> Severity:
        return proposal(self.answers)

    @property
    def severity(self) -> Severity:
        return self.severity_override or self.proposed

    def errors(self) -> dict[str, str]:
        """Problems to show next to the fields, keyed by block id; empty when the form is fine."""
        errors = {}
        if not self.title:
            errors["title"] = "Give the incident a title."
        elif len(self.title) > MAX_TITLE:
            errors["title"] = f"Keep the title to {MAX_TITLE} characters."
        if len(self.description) > MAX_DESCRIPTION:
            errors["description"] = f"Keep the description to {MAX_DESCRIPTION:,} characters."
        if self.severity_override and self.severity_override != self.proposed and not self.override_reason:
            errors["override_reason"] = (
                f"Say why this is {self.severity_override.label} when the answers point to {self.proposed.label}."
            )
        return errors


def proposal(answers: frozenset[str]) -> Severity:
    return propose_severity(
        harm_reached_users="harm" in answers,
        irreversible_or_data_exposure="irreversible" in answers,
        legal_or_safety_exposure="legal" in answers,
    )


def proposal_text(answers: frozenset[str]) -> str:
    return (
        f"*Proposed severity: {proposal(answers).label}*\n"
        "SEV1: irreversible action, data exposure, or legal/safety exposure. "
        "SEV2: recoverable harm reached users. SEV3: an anomaly, no confirmed harm."
    )


def declare_modal(catalog: Catalog, *, origin_channel: str | None, answers: frozenset[str] = frozenset()) -> View:
    """The modal bare `/incident` opens; re-rendered with a new proposal when the answers change."""
    class_options = [Option(value=c.id, text=shorten(f"{c.id}: {c.description}", OPTION_TEXT)) for c in catalog.classes.values()]
    initial_class = next(o for o in class_options if o.value == catalog.default_class)
    question_options = [Option(value=key, text=label) for key, label in QUESTIONS.items()]
    severity_options = [Option(value=s.label.lower(), text=s.label) for s in Severity]
    blocks = [
        InputBlock(
            block_id="title", label="Title",
            element=PlainTextInputElement(action_id="value", max_length=MAX_TITLE,
                                          placeholder="What is wrong, as users see it"),
        ),
        InputBlock(
            block_id="class", label="Class",
            element=StaticSelectElement(action_id="value", options=class_options, initial_option=initial_class),
        ),
        InputBlock(
            block_id="questions", label="What do we know?", optional=True, dispatch_action=True,
            element=CheckboxesElement(action_id=QUESTIONS_ACTION, options=question_options,
                                      initial_options=[o for o in question_options if o.value in answers] or None),
        ),
        SectionBlock(block_id="proposal", text=MarkdownTextObject(text=proposal_text(answers))),
        InputBlock(
            block_id="severity", label="Severity, if not the proposed one", optional=True,
            element=StaticSelectElement(action_id="value", options=severity_options,
                                        placeholder="Use the proposed severity"),
        ),
        InputBlock(
            block_id="override_reason", label="Why a different severity?", optional=True,
            element=PlainTextInputElement(action_id="value", max_length=500),
        ),
        InputBlock(
            block_id="description", label="Description", optional=True,
            element=PlainTextInputElement(action_id="value", multiline=True, max_length=MAX_DESCRIPTION),
        ),
        InputBlock(
            block_id="captain", label="Fire captain, if not you", optional=True,
            element=UserSelectElement(action_id="value", placeholder="You lead unless you name someone"),
        ),
    ]
    return View(
        type="modal", callback_id=DECLARE_CALLBACK, title="Declare an incident", submit="Declare", close="Cancel",
        private_metadata=json.dumps({"channel": origin_channel}), blocks=blocks,
    )


def read_answers(state_values: Mapping[str, Any]) -> frozenset[str]:
    selected = state_values.get("questions", {}).get(QUESTIONS_ACTION, {}).get("selected_options") or []
    return frozenset(o["value"] for o in selected if o.get("value") in QUESTIONS)


def read_declare_form(view: Mapping[str, Any]) -> DeclareForm:
    """The submitted values of a declare modal's `view` payload."""
    values = view.get("state", {}).get("values", {})

    def field(block: str, key: str = "value") -> Any:
        return values.get(block, {}).get("value", {}).get(key)

    override = field("severity", "selected_option")
    try:
        origin = json.loads(view.get("private_metadata") or "{}").get("channel")
    except (ValueError, AttributeError):
        origin = None
    return DeclareForm(
        title=(field("title") or "").strip(),
        class_id=(field("class", "selected_option") or {}).get("value", ""),
        answers=read_answers(values),
        severity_override=Severity.from_text(override["value"]) if override else None,
        override_reason=(field("override_reason") or "").strip(),
        description=(field("description") or "").strip(),
        captain=field("captain", "selected_user"),
        origin_channel=origin,
    )
