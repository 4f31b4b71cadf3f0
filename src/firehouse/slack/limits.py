"""Slack's Block Kit limits, checked on the built blocks (after escaping and wording), and the fitting that
keeps a message whole when a builder still overshot: a long section is split, anything else that Slack
would refuse is left out behind a visible note, so the rest of the message still goes out.

The builders split long text themselves (`sections`, `shorten`); `fit_blocks` is the net under them, run
by the gateway on every message as it leaves (and by the outbox on what it stores to send). The outbound
side only asks `will_be_cut`, so the person who caused a cut is told.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

SECTION_TEXT = 3000  # a section's text
SECTION_FIELD = 2000  # each of a section's fields (at most 10)
SECTION_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ACTION_ID = 255
CONTEXT_TEXT = 2000  # each element of a context block (at most 10)
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
INPUT_LABEL = 2000
INPUT_HINT = 2000
INPUT_VALUE = 3000  # a plain-text input's initial value and max_length
PLACEHOLDER = 150
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
VIEW_TITLE = 24  # also the submit and close buttons
PRIVATE_METADATA = 3000

ELLIPSIS = "…"
CUT_NOTE = ("_Part of this message was too long for Slack and was left out; the full text is on the incident's"
            " timeline (`/incident timeline`)._")
_OPEN_ENTITY = re.compile(r"&[a-z]{0,4}$|<[^<>]*$")  # a cut here would break `&amp;` or `<@U123>`


# --- fitting text ----------------------------------------------------------------------------------


def safe_cut(text: str, limit: int) -> int:
    """Where to cut `text` at or before `limit` without splitting an entity (`&amp;`) or a mention or link
    (`<@U123>`, `<#C123>`, `<https://…|…>`); at a space near the limit where there is one."""
    if len(text) <= limit:
        return len(text)
    head = text[:limit]
    if entity := _OPEN_ENTITY.search(head):
        head = head[:entity.start()]
    space = head.rfind(" ", max(0, len(head) - 80))
    return space + 1 if space > 0 else len(head)  # 0 when the text opens with an entity longer than `limit`


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters, visibly shortened with "…" when it was longer."""
    if len(text) <= limit:
        return text
    return text[:safe_cut(text, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def pack(lines: Iterable[str], *, limit: int = SECTION_TEXT) -> list[str]:
    """Join lines into chunks of at most `limit` characters; a longer line is split where it can be."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            cut = safe_cut(line, limit) or limit
            chunks.append(line[:cut])
            line = line[cut:]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def sections(text: str) -> list[SectionBlock]:
    """Mrkdwn text as as many sections as Slack's 3,000 characters each need (split at line breaks first)."""
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in pack(text.split("\n")) if chunk.strip()]


def capped(blocks: Sequence[Any], *, limit: int = MESSAGE_BLOCKS, more: str = CUT_NOTE) -> list[Any]:
    """At most `limit` blocks; when there are more, the last place says so (`more`)."""
    if len(blocks) <= limit:
        return list(blocks)
    return [*blocks[:limit - 1], ContextBlock(elements=[MarkdownTextObject(text=more)])]


# --- checking built blocks ---------------------------------------------------------------------------


def problems(blocks: Sequence[Mapping[str, Any]], *, limit: int = MESSAGE_BLOCKS) -> list[str]:
    """Every known Slack limit the built blocks (as sent, dicts) break; empty when Slack will take them."""
    found = [f"{len(blocks)} blocks, more than {limit}"] if len(blocks) > limit else []
    for n, block in enumerate(blocks):
        found += [f"block {n} ({block.get('type')}): {p}" for p in _block_problems(block)]
    return found


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """The limits a built modal or Home tab breaks: its title and buttons, metadata, and blocks."""
    found = [f"{key} is {len(text)} characters, more than {VIEW_TITLE}" for key in ("title", "submit", "close")
             if (text := _text(view.get(key))) is not None and len(text) > VIEW_TITLE]
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA:
        found.append("private_metadata is too long")
    return found + problems(view.get("blocks", []), limit=VIEW_BLOCKS)


def _text(obj: Any) -> str | None:
    if obj is None:
        return None
    return obj if isinstance(obj, str) else obj.get("text", "")


def _over(what: str, obj: Any, limit: int) -> list[str]:
    text = _text(obj)
    if text is None:
        return []
    if not text:
        return [f"{what} is empty"]
    return [f"{what} is {len(text):,} characters, more than {limit:,}"] if len(text) > limit else []


def _block_problems(block: Mapping[str, Any]) -> list[str]:
    kind = block.get("type")
    found: list[str] = []
    if kind == "section":
        found += _over("text", block.get("text"), SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS:
            found.append(f"{len(fields)} fields")
        for field in fields:
            found += _over("field", field, SECTION_FIELD)
        if accessory := block.get("accessory"):
            found += _element_problems(accessory)
    elif kind == "header":
        found += _over("header", block.get("text"), HEADER_TEXT)
    elif kind == "context":
        elements = block.get("elements") or []
        if len(elements) > CONTEXT_ELEMENTS:
            found.append(f"{len(elements)} elements")
        for element in elements:
            if element.get("type") in ("mrkdwn", "plain_text"):
                found += _over("context element", element, CONTEXT_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if len(elements) > ACTIONS_ELEMENTS:
            found.append(f"{len(elements)} elements")
        for element in elements:
            found += _element_problems(element)
    elif kind == "input":
        found += _over("label", block.get("label"), INPUT_LABEL) + _over("hint", block.get("hint"), INPUT_HINT)
        found += _element_problems(block.get("element") or {})
    return found


def _element_problems(element: Mapping[str, Any]) -> list[str]:
    found = _over("action_id", element.get("action_id"), ACTION_ID) if element.get("action_id") else []
    kind = element.get("type")
    if kind == "button":
        found += _over("button text", element.get("text"), BUTTON_TEXT)
        if len(element.get("value") or "") > BUTTON_VALUE:
            found.append("button value too long")
    if kind == "plain_text_input":
        if len(element.get("initial_value") or "") > INPUT_VALUE:
            found.append(f"initial value is {len(element['initial_value']):,} characters, more than {INPUT_VALUE:,}")
        if (element.get("max_length") or 0) > INPUT_VALUE:
            found.append("max_length above 3,000")
    if element.get("placeholder"):
        found += _over("placeholder", element.get("placeholder"), PLACEHOLDER)
    options = [*(element.get("options") or []), *([element["initial_option"]] if element.get("initial_option") else [])]
    if len(element.get("options") or []) > OPTIONS:
        found.append("too many options")
    for option in options:
        found += _over("option text", option.get("text"), OPTION_TEXT)
        if len(option.get("value") or "") > OPTION_VALUE:
            found.append("option value too long")
    if confirm := element.get("confirm"):
        found += _over("confirm title", confirm.get("title"), CONFIRM_TITLE)
        found += _over("confirm text", confirm.get("text"), CONFIRM_TEXT)
        found += _over("confirm button", confirm.get("confirm"), CONFIRM_BUTTON)
        found += _over("deny button", confirm.get("deny"), CONFIRM_BUTTON)
    return found


# --- the net ---------------------------------------------------------------------------------------


def fit_blocks(blocks: Sequence[Any], *, limit: int = MESSAGE_BLOCKS) -> tuple[list[dict], bool]:
    """The blocks built as Slack takes them, and whether anything had to be left out. A section whose only
    fault is its length is split (nothing is lost); a block slack_sdk refuses to build or Slack would refuse
    is replaced by a note; past `limit` blocks the last place says the rest was left out."""
    built: list[dict] = []
    dropped = False
    for block in blocks:
        try:
            data = block.to_dict() if hasattr(block, "to_dict") else dict(block)
        except SlackObjectFormationError:
            data = None
        if data is not None and not _block_problems(data):
            built.append(data)
            continue
        if (text := _plain_section_text(block)) is not None and text.strip():
            built += [s.to_dict() for s in sections(text)]
            continue
        dropped = True
        if not built or built[-1].get("elements", [{}])[0].get("text") != CUT_NOTE:
            built.append(_note())
    if len(built) > limit:
        built, dropped = [*built[:limit - 1], _note()], True
    return built, dropped


def will_be_cut(blocks: Sequence[Any], *, limit: int = MESSAGE_BLOCKS) -> bool:
    """Whether fitting the blocks will leave part of them out; the fitting itself happens in the gateway."""
    return fit_blocks(blocks, limit=limit)[1]


def _plain_section_text(block: Any) -> str | None:
    """The text of a section that has nothing but text (so splitting it loses nothing), else None."""
    if isinstance(block, SectionBlock):
        if block.fields or block.accessory or block.text is None:
            return None
        return block.text if isinstance(block.text, str) else block.text.text
    if isinstance(block, Mapping) and block.get("type") == "section" and not block.get("fields") \
            and not block.get("accessory"):
        return _text(block.get("text"))
    return None


def _note() -> dict:
    return ContextBlock(elements=[MarkdownTextObject(text=CUT_NOTE)]).to_dict()
