"""A real RFC 3161 time-stamping authority on 127.0.0.1 for the time-stamp tests: OpenSSL's own `openssl ts -reply`,
run once per request behind a small HTTP server (no public TSA is reachable from the test machines).

Everything is made by the `openssl` command into a temporary folder when the server starts:

    ca.pem             a root CA (basicConstraints critical CA:TRUE), the anchor a verifier is given
    issuing.pem        an intermediate CA it signs, sent in every token and in `chain`
    tsa.pem, tsa.key   the TSA's certificate (extendedKeyUsage critical timeStamping only), signed by the
                       intermediate; an RSA key, or an EC P-256 key with `key="ec"`
    tsa.cnf            the `[ tsa ]` section `openssl ts -reply` reads (see `man openssl-ts`)

It answers a POST of `application/timestamp-query` with `application/timestamp-reply`, as a TSA over HTTP does
(RFC 3161 §3.4). A test queues faults on demand, each given to one request in order: `answer_next(500)`,
`answer_next(garbage=True)`, `answer_next(other_data=True)` (a real stamp, but over other data: the query's imprint
is changed before OpenSSL signs it, the nonce kept), `answer_next(other_nonce=True)`, `answer_next(refused=True)`
(the query is made to ask for SHA-1, which this TSA does not accept: OpenSSL's own rejection, badAlg).

Test modules take the fixtures with `from tsaserver import tsa  # noqa: F401` (and `other_tsa`, a second authority
under a CA of its own): one server per module. Where `openssl` is not installed they skip, except in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import pytest
from asn1crypto import tsp
from localserver import LocalServer, Reply, Request

QUERY = "application/timestamp-query"
REPLY = "application/timestamp-reply"
POLICY = "1.2.3.4.1"  # the example policy of OpenSSL's own configuration file; a test TSA has no real one
OTHER_DATA = b"not what was asked for"
TSA_EXTENSIONS = """\
[ tsa_cert ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ issuing_ca ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/issuing.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class _Fault:
    status: int = 200
    garbage: bool = False
    other_data: bool = False
    other_nonce: bool = False
    refused: bool = False


def openssl(*args: str | Path, cwd: Path) -> None:
    """One `openssl` command; its own words when it fails, so a broken setup says what OpenSSL disliked."""
    done = subprocess.run(["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise RuntimeError(f"openssl {' '.join(map(str, args))}: {done.stderr.strip()}")


def make_authority(folder: Path, *, name: str, key: str = "rsa") -> None:
    """A root CA, an intermediate it signs, and a time-stamping certificate the intermediate signs, in `folder`."""
    (folder / "ext.cnf").write_text(TSA_EXTENSIONS)
    new_key = ["-newkey", "rsa:2048"] if key == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", f"/O=Firehouse tests/CN={name} Root CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder)
    for stem, issuer, subject, section, key_args in (
            ("issuing", "ca", f"{name} Issuing CA", "issuing_ca", ["-newkey", "rsa:2048"]),
            ("tsa", "issuing", name, "tsa_cert", new_key)):
        openssl("req", "-new", *key_args, "-nodes", "-keyout", f"{stem}.key", "-out", f"{stem}.csr",
                "-subj", f"/O=Firehouse tests/CN={subject}", cwd=folder)
        openssl("x509", "-req", "-in", f"{stem}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
                "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "ext.cnf", "-extensions", section,
                "-out", f"{stem}.pem", cwd=folder)
    (folder / "chain.pem").write_bytes((folder / "tsa.pem").read_bytes() + (folder / "issuing.pem").read_bytes())
    (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder, policy=POLICY))


class TsaServer(LocalServer):
    """`openssl ts -reply` over HTTP, with faults on demand. `ca_pem` is the anchor to verify against, `chain` the
    TSA's certificate and the intermediate (PEM, signer first), `folder` where it all lives."""

    name = "the test time-stamping authority"

    def __init__(self, *, name: str = "Test TSA", key: str = "rsa") -> None:
        self.authority = name
        self.key = key
        self._lock = threading.Lock()  # `openssl ts -reply` bumps one serial file: one reply at a time
        self._queued: deque[_Fault] = deque()
        self.queries: list[bytes] = []

    def start(self) -> TsaServer:
        self.folder = Path(tempfile.mkdtemp(prefix="firehouse-tsa-"))
        make_authority(self.folder, name=self.authority, key=self.key)
        return super().start()

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def ca_pem(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def chain(self) -> Path:
        return self.folder / "chain.pem"

    def answer_next(self, status: int = 200, *, garbage: bool = False, other_data: bool = False,
                    other_nonce: bool = False, refused: bool = False) -> None:
        with self._lock:
            self._queued.append(_Fault(status, garbage, other_data, other_nonce, refused))

    def answer(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(405, b"POST a time-stamp query\n", "text/plain")
        if request.headers.get("content-type") != QUERY:
            return Reply(415, f"Content-Type must be {QUERY}\n".encode(), "text/plain")
        with self._lock:
            self.queries.append(request.body)
            fault = self._queued.popleft() if self._queued else _Fault()
            if fault.status != 200:
                return Reply(fault.status, b"the TSA is unwell\n", "text/plain")
            if fault.garbage:
                return Reply(200, b"<html>not a time stamp</html>", REPLY)
            return Reply(200, self._reply(altered(request.body, fault)), REPLY)

    def _reply(self, query: bytes) -> bytes:
        with tempfile.TemporaryDirectory(dir=self.folder) as work:
            (Path(work) / "query.tsq").write_bytes(query)
            openssl("ts", "-reply", "-config", self.folder / "tsa.cnf", "-queryfile", "query.tsq",
                    "-out", "reply.tsr", cwd=Path(work))
            return (Path(work) / "reply.tsr").read_bytes()


def altered(query: bytes, fault: _Fault) -> bytes:
    """The query OpenSSL is asked to sign: as sent, or with another imprint or nonce (a TSA answering wrongly), or
    asking for a digest it refuses."""
    if not (fault.other_data or fault.other_nonce or fault.refused):
        return query
    request = tsp.TimeStampReq.load(query)
    if fault.refused:
        request["message_imprint"] = {"hash_algorithm": {"algorithm": "sha1"}, "hashed_message": bytes(20)}
    if fault.other_data:
        request["message_imprint"]["hashed_message"] = sha256(OTHER_DATA).digest()
    if fault.other_nonce:
        request["nonce"] = request["nonce"].native + 1
    return request.dump(force=True)


def _serve_or_skip(**options: str) -> Iterator[TsaServer]:
    if shutil.which("openssl") is None:
        if os.environ.get("CI"):
            pytest.fail("openssl is not installed: the test time-stamping authority is made and run with it")
        pytest.skip("openssl is not installed: the test time-stamping authority is made and run with it")
    with TsaServer(**options) as server:
        yield server


@pytest.fixture(scope="module")
def tsa() -> Iterator[TsaServer]:
    """The test TSA (RSA), under its own root and intermediate CA."""
    yield from _serve_or_skip()


@pytest.fixture(scope="module")
def other_tsa() -> Iterator[TsaServer]:
    """A second TSA (EC P-256) under a CA of its own: its stamps must not chain to `tsa`'s CA."""
    yield from _serve_or_skip(name="Other TSA", key="ec")
