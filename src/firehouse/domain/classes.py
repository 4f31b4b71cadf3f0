"""What kind of AI failure an incident is: the classes and their defaults."""

from __future__ import annotations

from dataclasses import dataclass


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

DEFAULT_CLASS = "output"
