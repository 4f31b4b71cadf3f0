"""The time-stamping authority's client: an RFC 3161 request over HTTP (RFC 3161 §3.4), its answer checked before
it is kept. What goes wrong is told in one line, as a StampFailure:

    no answer, a timeout           could not reach / did not answer within the timeout
    a status other than 2xx        answered 500: its first words
    not a TimeStampResp            the answer is not a time-stamp response
    refused (status 2 and up)      refused: rejection (badAlg): the TSA's own words
    a stamp of other data, another nonce, a signature that does not hold, no certificate
"""

from __future__ import annotations

import hashlib
import secrets

import httpx
from asn1crypto import tsp

from firehouse.integrations import cms
from firehouse.integrations.http import Pooled, shown
from firehouse.usecases.ports import Stamp, StampFailure

QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"


def query(data: bytes, nonce: int) -> bytes:
    """A DER `TimeStampReq` for SHA-256(`data`): version 1, the nonce that ties the answer to this request, and
    `certReq` so the token carries the TSA's certificate (the pack's verifier needs it)."""
    return tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": nonce,
        "cert_req": True,
    }).dump()


class HttpTimeStamps(Pooled):
    """Asks a time-stamping authority to stamp data, over the one pooled client."""

    def stamp(self, url: str, data: bytes, *, timeout: float) -> Stamp:
        """An RFC 3161 time stamp over SHA-256(`data`): the DER `TimeStampResp` as received, and the certificates
        its token carries in PEM, the signer's first; StampFailure in one line otherwise."""
        nonce = secrets.randbits(63)  # 8 octets, positive: what most TSAs send themselves
        who = f"the time-stamping authority at {url}"
        try:
            response = self.client.post(url, content=query(data, nonce), timeout=timeout,
                                        headers={"content-type": QUERY, "accept": REPLY})
        except httpx.TimeoutException:
            raise StampFailure(f"{who} did not answer within {timeout:g} s") from None
        except httpx.HTTPError as err:
            raise StampFailure(f"could not reach {who} ({err.__class__.__name__})") from None
        if not response.is_success:
            raise StampFailure(shown(f"{who} answered {response.status_code}: {response.text}"))
        try:
            token = cms.read(response.content)
            token.check_imprint(data, what="what was sent")
            if token.nonce != nonce:
                raise cms.Invalid("the stamp answers another request (its nonce differs)")
            signer = cms.signer(token)
            cms.check_signature(token, signer)
        except cms.Invalid as problem:
            raise StampFailure(shown(f"{who}: {problem}")) from None
        others = [certificate for certificate in token.certificates if certificate != signer]
        return Stamp(response=response.content, chain=cms.pem([signer, *others]))
