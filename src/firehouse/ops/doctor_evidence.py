"""`firehouse doctor`'s line for the evidence pack's time-stamping authority: a stamp over a test value is asked for
(it costs the authority one signature and fixes nothing of Firehouse's), and with `[evidence] tsa_ca` it must
chain to that CA, as `firehouse evidence verify` will ask of every pack."""

from __future__ import annotations

from collections.abc import Iterator

from cryptography import x509

from firehouse.config import Settings
from firehouse.integrations import cms
from firehouse.integrations.timestamps import HttpTimeStamps
from firehouse.ops.check import REACH_TIMEOUT, Check
from firehouse.usecases.ports import StampFailure

TEST_VALUE = b"firehouse doctor: a test of the time-stamping authority"


def evidence_checks(settings: Settings) -> Iterator[Check]:
    evidence = settings.evidence
    if not evidence.tsa_url:
        return
    name = "evidence tsa"
    with HttpTimeStamps() as stamps:
        try:
            stamp = stamps.stamp(evidence.tsa_url, TEST_VALUE,
                                 timeout=min(evidence.timeout.total_seconds(), REACH_TIMEOUT))
        except StampFailure as failure:
            yield Check(name, False, str(failure))
            return
    token = cms.read(stamp.response)
    pool = x509.load_pem_x509_certificates(stamp.chain)
    signer = cms.signer(token, pool)
    said = f"{evidence.tsa_url} stamped a test value ({token.time:%Y-%m-%d %H:%M:%S} UTC, {cms.described(signer)})"
    if evidence.tsa_ca is None:
        yield Check(name, True, f"{said}; no tsa_ca to check it chains to")
        return
    try:
        anchors = x509.load_pem_x509_certificates(evidence.tsa_ca.read_bytes())
        cms.chain_to(signer, pool=[*pool, *token.certificates], anchors=anchors, at=token.time)
    except (OSError, ValueError, cms.Invalid) as problem:
        yield Check(name, False, f"{said}, but it does not chain to tsa_ca {evidence.tsa_ca}: {problem}")
        return
    yield Check(name, True, f"{said}; chains to tsa_ca {evidence.tsa_ca}")
