from itertools import product

import pytest

from firehouse.domain.severity import Severity, propose_severity


@pytest.mark.parametrize(
    ("harm", "irreversible", "legal", "expected"),
    [
        (False, False, False, Severity.SEV3),
        (True, False, False, Severity.SEV2),
        (False, True, False, Severity.SEV1),
        (False, False, True, Severity.SEV1),
        (True, True, False, Severity.SEV1),
        (True, False, True, Severity.SEV1),
        (False, True, True, Severity.SEV1),
        (True, True, True, Severity.SEV1),
    ],
)
def test_proposed_severity_over_the_whole_truth_table(harm, irreversible, legal, expected):
    assert propose_severity(
        harm_reached_users=harm, irreversible_or_data_exposure=irreversible, legal_or_safety_exposure=legal
    ) is expected


def test_truth_table_above_is_complete():
    assert len(list(product([False, True], repeat=3))) == 8


@pytest.mark.parametrize("text", ["sev1", "SEV1", "Sev1", "1", " sev1 "])
def test_severity_reads_the_usual_spellings(text):
    assert Severity.from_text(text) is Severity.SEV1


@pytest.mark.parametrize("text", ["sev4", "sev0", "sev", "", "one", "sev-1", "11"])
def test_severity_refuses_anything_else(text):
    assert Severity.from_text(text) is None


def test_lower_number_is_more_severe():
    assert sorted([Severity.SEV3, Severity.SEV1, Severity.SEV2]) == [Severity.SEV1, Severity.SEV2, Severity.SEV3]


@pytest.mark.parametrize(("text", "severity"), [("sev2", Severity.SEV2), ("3", Severity.SEV3), ("SEV3", Severity.SEV3)])
def test_every_severity_can_be_typed(text, severity):
    assert Severity.from_text(text) is severity
