"""The template catalogue: find, read and render `message_templates/<lane>/<name>.md.j2` safely.

A deployment's own folder (FIREHOUSE_TEMPLATES) shadows the defaults file by file. Templates render in
a sandbox with strict undefined variables; the values they see are escaped before they get there, so
user text is always data, never template source.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from firehouse.errors import FirehouseError

SUFFIX = ".md.j2"
_FRONT_MATTER = re.compile(r"\A\{#-?\s*\n(.*?)\n\s*-?#\}", re.DOTALL)


class TemplateProblem(FirehouseError):
    """A template is missing or broken; the message names the template and the line."""


@dataclass(frozen=True)
class FrontMatter:
    """What a template declares about itself: a title and the facts it needs."""

    title: str
    needs: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    name: str
    title: str
    text: str
    missing: tuple[str, ...]


class Facts:
    """`facts.<key>` in a template: the recorded value, or a visible `[missing: key]` placeholder."""

    def __init__(self, values: Mapping[str, str], escape: Callable[[str], str]) -> None:
        self._values = dict(values)
        self._escape = escape
        self.missing: list[str] = []

    def has(self, key: str) -> bool:
        return bool(self._values.get(key))

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self[key]

    def __getitem__(self, key: str) -> str:
        if self.has(key):
            return self._escape(self._values[key])
        if key not in self.missing:
            self.missing.append(key)
        return f"[missing: {key}]"


def default_folder() -> Path:
    """The shipped templates: inside the installed package, or at the top of a source checkout."""
    packaged = Path(str(resources.files("firehouse"))) / "message_templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "message_templates"


@dataclass
class TemplateCatalogue:
    """Every template Firehouse can render, the deployment's own folder first."""

    folders: tuple[Path, ...] = field(default_factory=lambda: (default_folder(),))

    def __post_init__(self) -> None:
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in self.folders]),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False,
            keep_trailing_newline=False,
        )

    @classmethod
    def with_override(cls, override: Path | None) -> TemplateCatalogue:
        return cls((override, default_folder()) if override else (default_folder(),))

    def names(self, lane: str | None = None) -> list[str]:
        """Template names (`product/output`), optionally of one lane."""
        found = {
            str(path.relative_to(folder))[: -len(SUFFIX)]
            for folder in self.folders
            for path in folder.glob(f"{lane or '*'}/*{SUFFIX}")
        }
        return sorted(found)

    def resolve(self, lane: str, *, class_id: str, template: str | None = None) -> str:
        """`<lane>/<template>` when named, else `<lane>/<class>` when it exists, else `<lane>/default`."""
        available = self.names(lane)
        if template:
            name = f"{lane}/{template}"
            if name not in available:
                shown = ", ".join(n.split("/", 1)[1] for n in available) or "none"
                raise TemplateProblem(f"There is no {lane} template `{template}`. Available: {shown}.")
            return name
        return f"{lane}/{class_id}" if f"{lane}/{class_id}" in available else f"{lane}/default"

    def front_matter(self, name: str) -> FrontMatter:
        source = self._source(name)
        match = _FRONT_MATTER.match(source)
        fields: dict[str, str] = {}
        for line in (match[1].splitlines() if match else []):
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()

        def keys(value: str) -> tuple[str, ...]:
            return tuple(k.strip() for k in value.split(",") if k.strip())

        return FrontMatter(fields.get("title", name), keys(fields.get("needs", "")), keys(fields.get("optional", "")))

    def render(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """Render `name`; missing facts become placeholders and are listed, a broken template a TemplateProblem."""
        front = self.front_matter(name)
        facts = context.get("facts")
        try:
            text = self.env.get_template(name + SUFFIX).render(**context)
        except TemplateError as err:
            raise TemplateProblem(_describe(name, err)) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as err:
            # a Python error inside an expression (`'(' in none`, `1 / 0`) is the template's fault too
            raise TemplateProblem(_describe(name, err)) from None
        missing = [key for key in front.needs if not (facts and facts.has(key))]
        missing += [key for key in (facts.missing if facts else []) if key not in missing]
        return Rendered(name=name, title=front.title, text=_tidy(text), missing=tuple(missing))

    def _source(self, name: str) -> str:
        try:
            source, _, _ = self.env.loader.get_source(self.env, name + SUFFIX)
        except TemplateNotFound:
            raise TemplateProblem(f"There is no template `{name}`.") from None
        return source


def _describe(name: str, err: Exception) -> str:
    line = getattr(err, "lineno", None)
    if line is None:  # runtime errors: the template's own frame in the traceback has the line
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.endswith(SUFFIX)]
        line = frames[-1].lineno if frames else None
    where = f", line {line}" if line else ""
    message = getattr(err, "message", None) or str(err) or err.__class__.__name__
    return f"Template `{name}`{where} is broken: {message}"


def _tidy(text: str) -> str:
    """No runs of blank lines and no trailing spaces: templates branch a lot."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy)
