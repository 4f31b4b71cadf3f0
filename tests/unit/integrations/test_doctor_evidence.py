"""`firehouse doctor`'s line for the time-stamping authority, against the tests' real one: a stamp that chains to
`[evidence] tsa_ca`, one from an authority under another CA, and an authority that is down."""

from __future__ import annotations

from tsaserver import other_tsa, tsa  # noqa: F401

from firehouse.config import Settings
from firehouse.config.evidence import EvidenceSettings
from firehouse.ops.doctor_evidence import evidence_checks


def checked(**evidence) -> list:
    return list(evidence_checks(Settings(bot_token="", signing_secret="", evidence=EvidenceSettings(**evidence))))


def test_no_authority_no_line():
    assert checked() == []


def test_a_stamp_that_chains_to_the_ca(tsa):  # noqa: F811
    (check,) = checked(tsa_url=tsa.url, tsa_ca=tsa.ca_pem)
    assert check.ok and check.detail.startswith(f"{tsa.url} stamped a test value (")
    assert check.detail.endswith(f"chains to tsa_ca {tsa.ca_pem}")


def test_an_authority_under_another_ca_fails(tsa, other_tsa):  # noqa: F811
    (check,) = checked(tsa_url=other_tsa.url, tsa_ca=tsa.ca_pem)
    assert check.ok is False and "does not chain to tsa_ca" in check.detail


def test_an_authority_that_is_down_fails_in_one_line(tsa):  # noqa: F811
    tsa.answer_next(500)
    (check,) = checked(tsa_url=tsa.url)
    assert check.ok is False and "500" in check.detail and "\n" not in check.detail
