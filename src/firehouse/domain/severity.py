"""Severity tracks consequence, not how wrong the model was: harm × reversibility."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    """SEV1 is the worst; a lower number is more severe."""

    SEV1 = 1
    SEV2 = 2
    SEV3 = 3

    @property
    def label(self) -> str:
        return self.name

    @classmethod
    def from_text(cls, text: str) -> Severity | None:
        """`sev1`, `SEV1` or `1` → Severity.SEV1; anything else → None."""
        key = text.strip().lower().removeprefix("sev")
        return cls(int(key)) if key in {"1", "2", "3"} else None


def propose_severity(
    *, harm_reached_users: bool, irreversible_or_data_exposure: bool, legal_or_safety_exposure: bool
) -> Severity:
    """The severity DESIGN.md's three declare questions point to.

    An irreversible action, a data exposure or a legal/safety exposure is SEV1 on its own: the damage
    is done whether or not anyone noticed yet. Recoverable harm that reached users is SEV2; anything
    else is an anomaly under investigation, SEV3.
    """
    if irreversible_or_data_exposure or legal_or_safety_exposure:
        return Severity.SEV1
    if harm_reached_users:
        return Severity.SEV2
    return Severity.SEV3
