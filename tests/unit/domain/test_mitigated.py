"""Whether a customer notice may say the measure taken has worked (`mitigated`): some firebreak was measured
bringing a signal back within its baseline, and no signal's latest measure says otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from firehouse.domain.verification import Verdict, Verification, mitigated

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKED, BETTER, NO_EFFECT, WORSE, UNKNOWN = (Verdict.WORKED, Verdict.BETTER, Verdict.NO_EFFECT, Verdict.WORSE,
                                             Verdict.UNKNOWN)


def measured(*steps: tuple[str, Verdict]) -> list[Verification]:
    """One verification per (signal, verdict), a minute apart, each of its own firebreak."""
    return [Verification(incident_id=1, firebreak_id=n, signal=signal, due_at=T0, done_at=T0 + timedelta(minutes=n),
                         verdict=verdict, text=f"{signal}: {verdict}") for n, (signal, verdict) in enumerate(steps)]


@pytest.mark.parametrize(("steps", "worked"), [
    ((), False),
    ((("fraud", WORKED),), True),
    ((("fraud", NO_EFFECT), ("fraud", WORKED)), True),  # the later measure is the one that counts
    ((("fraud", WORKED), ("fraud", NO_EFFECT)), False),
    ((("fraud", WORKED), ("spend", WORSE)), False),
    ((("fraud", WORKED), ("spend", BETTER)), False),  # better, but still outside its baseline
    ((("fraud", WORKED), ("spend", UNKNOWN)), True),  # not measurable says nothing either way
    ((("fraud", UNKNOWN),), False),
    ((("fraud", WORKED), ("fraud", UNKNOWN)), True),
])
def test_the_measure_worked_when_a_signal_came_back_and_no_latest_measure_says_otherwise(steps, worked):
    assert mitigated(measured(*steps)) is worked


def test_the_order_measured_counts_not_the_order_given():
    first, second = measured(("fraud", WORKED), ("fraud", WORSE))
    assert mitigated([second, first]) is False
