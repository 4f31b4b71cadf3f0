"""RFC 3161 time stamps against a real time-stamping authority (OpenSSL's `ts -reply` on 127.0.0.1), each stamp
checked again by `openssl ts -verify`; every way the authority fails; and `verify` on evidence packs made with
the stock `bagit` package: whole, tampered with, stamped by another authority, and unsafe to unpack."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import traceback
import warnings
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bagit
import pytest
from asn1crypto import tsp
from botprocess import free_port
from cryptography import x509
from tsaserver import OTHER_DATA, TsaServer, other_tsa, tsa  # noqa: F401

from firehouse.integrations import cms
from firehouse.integrations.pack_verify import CHAIN, TAGMANIFEST, TSR, verify
from firehouse.integrations.timestamps import HttpTimeStamps
from firehouse.usecases.ports import StampFailure

DATA = b"the tag manifest of incident 7's evidence\n"
PAYLOAD = {"record/incident.json": '{"id": 7, "severity": "sev1"}\n',
           "timeline.json": '[{"at": "2026-03-02T09:30:00Z", "text": "declared"}]\n',
           "notices/notice-1.md": "Refunds were paused at 09:41 UTC.\n",
           "README.txt": "What is in this pack, for the reader.\n"}


@pytest.fixture(scope="module")
def stamps():
    with HttpTimeStamps() as client:
        yield client


def openssl_verifies(data: Path, response: Path, *, ca: Path, untrusted: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "ts", "-verify", "-data", data, "-in", response, "-CAfile", ca,
                           "-untrusted", untrusted], capture_output=True, text=True, timeout=60)


# --- asking for a stamp ------------------------------------------------------------------------------------------


def test_a_stamp_from_the_authority_verifies_with_openssl_and_with_firehouse(tsa, stamps, tmp_path):  # noqa: F811
    stamp = stamps.stamp(tsa.url, DATA, timeout=10)

    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "data.tsr").write_bytes(stamp.response)
    (tmp_path / "chain.pem").write_bytes(stamp.chain)
    done = openssl_verifies(tmp_path / "data", tmp_path / "data.tsr", ca=tsa.ca_pem, untrusted=tmp_path / "chain.pem")
    assert (done.returncode, done.stdout.strip()) == (0, "Verification: OK"), done.stderr

    token = cms.read(stamp.response)
    token.check_imprint(DATA, what="the data")
    chain = x509.load_pem_x509_certificates(stamp.chain)
    signer = cms.signer(token)
    assert [cms.described(c) for c in chain] == ["CN=Test TSA,O=Firehouse tests",
                                                 "CN=Test TSA Issuing CA,O=Firehouse tests"]
    assert signer == chain[0]
    cms.check_signature(token, signer)
    cms.check_time_stamping(signer)
    anchors = x509.load_pem_x509_certificates(tsa.ca_pem.read_bytes())
    path = cms.chain_to(signer, pool=chain, anchors=anchors, at=token.time)
    assert [cms.described(c) for c in path][-1] == "CN=Test TSA Root CA,O=Firehouse tests"
    assert abs(token.time - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_request_is_version_1_over_sha256_with_a_nonce_and_asks_for_the_certificate(tsa, stamps):  # noqa: F811
    stamp = stamps.stamp(tsa.url, DATA, timeout=10)

    query = tsp.TimeStampReq.load(tsa.queries[-1]).native
    assert query["version"] == "v1" and query["cert_req"] is True
    assert query["message_imprint"]["hash_algorithm"]["algorithm"] == "sha256"
    assert query["message_imprint"]["hashed_message"] == hashlib.sha256(DATA).digest()
    assert query["nonce"] == cms.read(stamp.response).nonce


def test_two_stamps_carry_two_nonces(tsa, stamps):  # noqa: F811
    stamps.stamp(tsa.url, DATA, timeout=10)
    stamps.stamp(tsa.url, DATA, timeout=10)

    first, second = (tsp.TimeStampReq.load(query)["nonce"].native for query in tsa.queries[-2:])
    assert first != second


@pytest.mark.parametrize(("fault", "said"), [
    ({"status": 500}, " answered 500: the TSA is unwell"),
    ({"garbage": True}, ": the answer is not a time-stamp response (RFC 3161 TimeStampResp)"),
    ({"other_data": True}, ": the stamp is over other data than what was sent (its sha256 imprint differs)"),
    ({"other_nonce": True}, ": the stamp answers another request (its nonce differs)"),
    ({"refused": True}, ": refused: rejection (badAlg): Message digest algorithm is not supported."),
], ids=["500", "garbage", "other-data", "other-nonce", "refused"])
def test_an_authority_answering_wrongly_is_a_stamp_failure_in_one_line(tsa, stamps, fault, said):  # noqa: F811
    tsa.answer_next(**fault)

    with pytest.raises(StampFailure) as failure:
        stamps.stamp(tsa.url, DATA, timeout=10)

    assert str(failure.value) == f"the time-stamping authority at {tsa.url}{said}"
    assert "\n" not in str(failure.value)
    shown = "".join(traceback.format_exception(failure.value))
    assert "During handling" not in shown and "direct cause" not in shown  # no parser's traceback beneath it


def test_an_authority_that_is_down_is_a_stamp_failure(stamps):
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(StampFailure) as failure:
        stamps.stamp(url, DATA, timeout=5)

    assert str(failure.value) == f"could not reach the time-stamping authority at {url} (ConnectError)"


def test_an_authority_that_never_answers_is_a_stamp_failure_after_the_timeout(stamps):
    with socket.socket() as silent:  # takes the connection, never reads it
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(StampFailure) as failure:
            stamps.stamp(url, DATA, timeout=0.3)

    assert str(failure.value) == f"the time-stamping authority at {url} did not answer within 0.3 s"


# --- verifying a pack --------------------------------------------------------------------------------------------


def make_pack(root: Path, stamps: HttpTimeStamps, authority: TsaServer | None,
              name: str = "evidence-incident-7") -> Path:
    """A bag made by the stock `bagit` package, stamped over its tag manifest by `authority` (if any)."""
    folder = root / name
    for relative, text in PAYLOAD.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    bagit.make_bag(str(folder), {"Source-Organization": "Firehouse tests"}, checksums=["sha256", "sha512"])
    if authority is not None:
        stamp = stamps.stamp(authority.url, (folder / TAGMANIFEST).read_bytes(), timeout=10)
        (folder / TSR).write_bytes(stamp.response)
        (folder / CHAIN).write_bytes(stamp.chain)
    return folder


def zipped(folder: Path) -> Path:
    out = folder.parent / f"{folder.name}.zip"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as pack:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                pack.write(file, file.relative_to(folder.parent).as_posix())
    return out


@pytest.fixture
def pack(tmp_path, tsa, stamps):  # noqa: F811
    return make_pack(tmp_path, stamps, tsa)


def test_a_stamped_pack_verifies_and_chains_to_the_ca(pack, tsa):  # noqa: F811
    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert verdict.ok and verdict.timestamped, verdict.lines
    assert abs(verdict.time - datetime.now(UTC)) < timedelta(minutes=1)
    assert verdict.lines == [
        "bag: evidence-incident-7 (BagIt 0.97)",
        "complete: nothing missing, nothing added",
        "checksums: 4 payload files and 4 tag files match (sha256, sha512)",
        f"timestamp: {verdict.time:%Y-%m-%d %H:%M:%S} UTC by CN=Test TSA,O=Firehouse tests, over "
        "tagmanifest-sha256.txt; signature holds; chains to the given CA"]


def test_stock_openssl_verifies_the_packs_stamp_too(pack, tsa):  # noqa: F811
    done = openssl_verifies(pack / TAGMANIFEST, pack / TSR, ca=tsa.ca_pem, untrusted=pack / CHAIN)

    assert (done.returncode, done.stdout.strip()) == (0, "Verification: OK"), done.stderr


def test_a_bags_folder_verifies_without_a_ca_and_says_the_signer_was_not_checked(pack):
    verdict = verify(pack)

    assert verdict.ok and verdict.timestamped
    assert verdict.lines[-1].endswith("signature holds; not checked against a CA (none given)")


def test_a_pack_without_a_stamp_holds_and_says_it_is_not_timestamped(tmp_path, stamps, tsa):  # noqa: F811
    verdict = verify(zipped(make_pack(tmp_path, stamps, None)))

    assert (verdict.ok, verdict.timestamped, verdict.time) == (True, False, None)
    assert verdict.lines[-1] == "timestamp: not timestamped"


def test_with_a_ca_a_stamp_removed_does_not_pass(tmp_path, stamps, tsa):  # noqa: F811
    verdict = verify(zipped(make_pack(tmp_path, stamps, None)), ca=tsa.ca_pem)

    assert (verdict.ok, verdict.lines[-1]) == (False, "timestamp: missing, though a CA was given to check it against")


def test_a_file_added_beside_the_payload_fails(pack):
    (pack / "NOTE-from-legal.txt").write_text("nothing to see")
    verdict = verify(pack)

    assert not verdict.ok
    assert "complete: NOTE-from-legal.txt is at the bag's top but is no part of a pack" in verdict.lines


def test_an_encrypted_or_doubled_member_is_refused(tmp_path, pack):
    doubled = tmp_path / "doubled.zip"
    with zipfile.ZipFile(doubled, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate: that is the point
        archive.writestr("bag/bagit.txt", "one")
        archive.writestr("bag/BAGIT.txt", "two")
    assert verify(doubled).lines == ["pack: refused: 'bag/BAGIT.txt' is in it twice"]
    encrypted = tmp_path / "encrypted.zip"
    with zipfile.ZipFile(encrypted, "w") as archive:
        archive.writestr("bag/bagit.txt", "x")
    data = bytearray(encrypted.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the encrypted flag in both headers
        at = data.find(header)
        data[at + (6 if header == b"PK\x03\x04" else 8)] |= 0x1
    encrypted.write_bytes(bytes(data))
    assert verify(encrypted).lines == ["pack: refused: 'bag/bagit.txt' is encrypted"]


def test_one_byte_changed_in_a_payload_file_fails_naming_the_file(pack, tsa):  # noqa: F811
    notice = pack / "data" / "notices" / "notice-1.md"
    body = bytearray(notice.read_bytes())
    body[0] ^= 0x01
    notice.write_bytes(bytes(body))

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert not verdict.ok
    assert "complete: nothing missing, nothing added" in verdict.lines
    assert [line.split(" (")[0] for line in verdict.lines if line.startswith("checksums:")] == [
        "checksums: data/notices/notice-1.md does not match its sha256",
        "checksums: data/notices/notice-1.md does not match its sha512"]
    assert verdict.timestamped  # the stamp is over the tag manifest, which still holds


def test_a_payload_file_that_changed_size_is_named_too(pack):
    with (pack / "data" / "timeline.json").open("ab") as timeline:
        timeline.write(b" ")

    verdict = verify(zipped(pack))

    assert not verdict.ok
    assert any(line.startswith("bag: Payload-Oxum validation failed") for line in verdict.lines)
    assert any(line.startswith("checksums: data/timeline.json does not match its sha256") for line in verdict.lines)


def test_a_payload_file_removed_fails_naming_it(pack, tsa):  # noqa: F811
    (pack / "data" / "README.txt").unlink()

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert not verdict.ok
    assert "complete: data/README.txt is in a manifest but not in the bag" in verdict.lines
    assert "checksums: not checked, as the bag is not complete" in verdict.lines


def test_a_payload_file_added_fails_naming_it(pack, tsa):  # noqa: F811
    (pack / "data" / "later.txt").write_text("slipped in afterwards\n")

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert not verdict.ok
    assert "complete: data/later.txt is in the bag but in no manifest" in verdict.lines


def test_a_tag_manifest_changed_after_stamping_fails_the_timestamp_alone(pack, tsa):  # noqa: F811
    manifest = pack / TAGMANIFEST
    manifest.write_text("".join(reversed(manifest.read_text().splitlines(keepends=True))))  # still a valid bag

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert (verdict.ok, verdict.timestamped, verdict.time) == (False, False, None)
    assert verdict.lines[1:3] == ["complete: nothing missing, nothing added",
                                  "checksums: 4 payload files and 4 tag files match (sha256, sha512)"]
    assert verdict.lines[-1] == ("timestamp: does not hold: the stamp is over other data than "
                                 "tagmanifest-sha256.txt as it is in the pack (its sha256 imprint differs)")


def test_a_stamp_whose_signature_was_touched_fails(pack, tsa):  # noqa: F811
    response = bytearray((pack / TSR).read_bytes())
    response[-1] ^= 0x01  # the signer info's signature comes last
    (pack / TSR).write_bytes(bytes(response))

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    assert not verdict.ok
    assert verdict.lines[-1] == ("timestamp: does not hold: its signature does not verify with the key of "
                                 "CN=Test TSA,O=Firehouse tests")


def test_a_stamp_from_another_authority_does_not_chain_to_our_ca(tmp_path, stamps, tsa, other_tsa):  # noqa: F811
    pack = make_pack(tmp_path, stamps, other_tsa)

    ours = verify(zipped(pack), ca=tsa.ca_pem)
    theirs = verify(pack, ca=other_tsa.ca_pem)

    assert not ours.ok and not ours.timestamped
    assert ours.lines[-1] == ("timestamp: does not hold: CN=Other TSA Issuing CA,O=Firehouse tests is not issued "
                              "by the given CA nor by a CA certificate in the chain (its issuer: "
                              "CN=Other TSA Root CA,O=Firehouse tests)")
    assert theirs.ok and theirs.lines[-1].endswith("chains to the given CA")  # an EC P-256 signer verifies too


@pytest.mark.parametrize("left", [TSR, CHAIN])
def test_a_stamp_without_its_chain_or_a_chain_without_its_stamp_fails(pack, tsa, left):  # noqa: F811
    (pack / left).unlink()

    verdict = verify(zipped(pack), ca=tsa.ca_pem)

    there = CHAIN if left == TSR else TSR
    assert not verdict.ok
    assert verdict.lines[-1] == f"timestamp: does not hold: {there} is in the pack but {left} is not"


@pytest.mark.parametrize(("name", "why"), [
    ("../evil.txt", "'../evil.txt' would be written outside the pack's folder"),
    ("evidence/../../evil.txt", "'evidence/../../evil.txt' would be written outside the pack's folder"),
    ("/tmp/evil.txt", "'/tmp/evil.txt' would be written outside the pack's folder"),
    ("other/bagit.txt", "it holds 2 folders at its top instead of one bag's"),
    ("bagit.txt", "'bagit.txt' lies beside the bag's folder, not in it"),
])
def test_a_zip_that_would_write_outside_its_folder_or_holds_more_is_refused(tmp_path, name, why):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as pack:
        pack.writestr("evidence/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        pack.writestr(zipfile.ZipInfo(name), b"x")

    verdict = verify(archive)

    assert verdict == type(verdict)(False, [f"pack: refused: {why}"])


def test_a_file_that_is_no_pack_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("not a zip")

    assert verify(tmp_path / "notes.txt").lines == ["pack: refused: notes.txt is neither a bag's folder nor a ZIP file"]


def test_a_zip_of_a_folder_that_is_no_bag_says_so_in_the_packs_own_terms(tmp_path):
    (tmp_path / "pack" / "data").mkdir(parents=True)
    (tmp_path / "pack" / "data" / "notes.txt").write_text("no manifests\n")

    verdict = verify(zipped(tmp_path / "pack"))

    assert verdict == type(verdict)(False, ["bag: pack is not a BagIt bag (Expected bagit.txt does not exist: "
                                            "bagit.txt)"])  # not the temporary folder it was unpacked into


def test_a_damaged_zip_is_refused(tmp_path):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as pack:
        pack.writestr("evidence/data/notes.txt", b"stored as it is, so one byte can be changed in place")
    damaged = archive.read_bytes().replace(b"one byte", b"One byte")
    archive.write_bytes(damaged)

    assert verify(archive).lines == ["pack: refused: it is damaged (Bad CRC-32 for file 'evidence/data/notes.txt')"]
