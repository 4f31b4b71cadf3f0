"""The catalogue an incident is described with: classes, suspected causes and roles.

Classes and causes are configurable; these are the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LANES = ("product", "legal", "internal")


@dataclass(frozen=True)
class IncidentClass:
    """A kind of AI failure; decides the lanes and whether the war room is private."""

    id: str
    description: str
    lanes: tuple[str, ...]
    private: bool = False


DEFAULT_CLASSES: dict[str, IncidentClass] = {
    c.id: c
    for c in (
        IncidentClass("output", "wrong, unsafe, biased or off-brand output reached users", ("product",)),
        IncidentClass("action", "an agent or tool took a harmful or unauthorized action", ("product", "legal")),
        IncidentClass("data", "data exposure: PII, cross-tenant leak, secrets", ("legal", "product"), private=True),
        IncidentClass("cost", "runaway spend, token-budget blow, tool loop", ("internal",)),
        IncidentClass("gate", "a release shipped over a failing eval gate", ("internal",)),
        IncidentClass(
            "compliance",
            "policy or regulatory violation, missing audit trail, discriminatory decisions",
            ("legal",),
            private=True,
        ),
    )
}

DEFAULT_CAUSES: dict[str, str] = {
    "prompt": "a prompt template changed",
    "model": "a model or provider changed",
    "retrieval": "the retrieval index or a source changed",
    "config": "temperature, limits or routing changed",
    "tool-loop": "an agent or tool looped",
    "input-drift": "the inputs drifted from what the system was built for",
    "injection": "a guardrail bypass or prompt injection",
    "eval-drift": "the judge or eval drifted",
    "unknown": "not known yet",
}

DEFAULT_ROLES = ("scribe", "comms", "legal")
DEFAULT_CLASS = "output"


@dataclass(frozen=True)
class Catalog:
    """The classes, causes and roles one deployment uses."""

    classes: Mapping[str, IncidentClass] = field(default_factory=lambda: dict(DEFAULT_CLASSES))
    causes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CAUSES))
    roles: tuple[str, ...] = DEFAULT_ROLES

    @property
    def default_class(self) -> str:
        return DEFAULT_CLASS if DEFAULT_CLASS in self.classes else next(iter(self.classes))
