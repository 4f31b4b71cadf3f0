"""Evidence packs as BagIt bags: every bag is judged as an auditor would judge it, by the Library of Congress's own
validator (`python -m bagit --validate`) in a process of its own, and so is the bag unzipped from its ZIP file."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firehouse.integrations.bagging import BagItPacker
from firehouse.usecases.ports import Bagged, Payload, Stamp, StampFailure

INFO = {"Source-Organization": "Acme AI", "Contact-Email": "legal@acme.example",
        "External-Identifier": "firehouse-incident-7", "External-Description": "Refund agent approves every refund"}
NOTICE = "<!channel> {{ incident.title }} — Zürich, 東京, naïve\n".encode() + b"\xff\xfe raw bytes\r\n"
TIMELINE = [f'{{"at": "2026-03-02T09:{m:02d}:00Z", "text": "entry {m}"}}\n'.encode() for m in range(60)]


def timeline() -> Iterator[bytes]:
    yield from TIMELINE


PAYLOAD = [Payload("record.json", b'{"id": 7}'), Payload("timeline.jsonl", timeline),
           Payload("notices/2-approved.txt", NOTICE), Payload("snapshots/1.json", b'{"model": "refunds-v3"}')]
WRITTEN = {"record.json": b'{"id": 7}', "timeline.jsonl": b"".join(TIMELINE), "notices/2-approved.txt": NOTICE,
           "snapshots/1.json": b'{"model": "refunds-v3"}'}


def validated(directory: Path) -> subprocess.CompletedProcess[str]:
    """bagit's own command line on the bag, in a fresh interpreter, with every checksum recomputed."""
    return subprocess.run([sys.executable, "-m", "bagit", "--validate", str(directory)], capture_output=True,
                          text=True, timeout=60, cwd=directory.parent)


def assert_valid(directory: Path) -> None:
    checked = validated(directory)
    assert checked.returncode == 0 and f"{directory} is valid" in checked.stderr, checked.stderr


def assert_invalid(directory: Path, reason: str) -> None:
    checked = validated(directory)
    assert checked.returncode == 1 and "is invalid" in checked.stderr and reason in checked.stderr, checked.stderr


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=None)
    return tmp_path / "pack"


def test_a_bag_passes_bagits_own_validator_in_a_process_of_its_own(bag: Path) -> None:
    assert_valid(bag)


def test_the_payload_is_kept_byte_for_byte_under_data(bag: Path) -> None:
    on_disk = {p.relative_to(bag / "data").as_posix(): p.read_bytes() for p in (bag / "data").rglob("*")
               if p.is_file()}
    assert on_disk == WRITTEN


def test_write_answers_the_payloads_size_and_count_as_payload_oxum(tmp_path: Path) -> None:
    bagged = BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=None)
    assert bagged == Bagged(tmp_path / "pack", sum(map(len, WRITTEN.values())), 4, timestamped=False)


@pytest.mark.parametrize("path", sorted(WRITTEN))
def test_one_byte_flipped_in_any_payload_file_fails_validation(bag: Path, path: str) -> None:
    target = bag / "data" / path
    changed = bytearray(target.read_bytes())
    changed[len(changed) // 2] ^= 0x01
    target.write_bytes(bytes(changed))
    assert_invalid(bag, f"data/{path} sha256 validation failed")


def test_a_payload_file_removed_fails_validation(bag: Path) -> None:
    (bag / "data" / "snapshots" / "1.json").unlink()
    assert_invalid(bag, "Payload-Oxum validation failed")


def test_a_payload_file_added_fails_validation(bag: Path) -> None:
    (bag / "data" / "snapshots" / "2.json").write_bytes(b"{}")
    assert_invalid(bag, "Payload-Oxum validation failed")


def test_a_payload_file_swapped_for_one_of_the_same_size_fails_validation(bag: Path) -> None:
    (bag / "data" / "snapshots" / "1.json").rename(bag / "data" / "snapshots" / "9.json")
    assert_invalid(bag, "Bag is incomplete")


def test_sha256_and_sha512_manifests_list_every_payload_file(bag: Path) -> None:
    for alg in ("sha256", "sha512"):
        lines = (bag / f"manifest-{alg}.txt").read_text(encoding="utf-8").splitlines()
        assert sorted(lines) == sorted(f"{hashlib.new(alg, body).hexdigest()}  data/{path}"
                                       for path, body in WRITTEN.items())


def test_tag_manifests_list_every_tag_file(bag: Path) -> None:
    tags = ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    for alg in ("sha256", "sha512"):
        lines = (bag / f"tagmanifest-{alg}.txt").read_text(encoding="utf-8").splitlines()
        assert lines == [f"{hashlib.new(alg, (bag / t).read_bytes()).hexdigest()} {t}" for t in tags]


def test_bag_info_carries_info_with_payload_oxum_and_the_bagging_date(bag: Path) -> None:
    lines = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    info = dict(line.split(": ", 1) for line in lines)
    assert info.pop("Payload-Oxum") == f"{sum(map(len, WRITTEN.values()))}.4"
    assert info.pop("Bagging-Date") in {(datetime.now(UTC) - timedelta(minutes=5)).date().isoformat(),
                                        datetime.now(UTC).date().isoformat()}
    assert "bagit.py v" in info.pop("Bag-Software-Agent")
    assert info == INFO
    assert lines == sorted(lines)
    assert (bag / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def test_info_may_give_the_bagging_date_and_a_value_stays_on_one_line(tmp_path: Path) -> None:
    info = {**INFO, "Bagging-Date": "2026-03-02", "External-Description": "two\nlines"}
    BagItPacker().write(tmp_path / "pack", PAYLOAD, info=info, stamp=None)
    text = (tmp_path / "pack" / "bag-info.txt").read_text(encoding="utf-8")
    assert "Bagging-Date: 2026-03-02\n" in text and "External-Description: two lines\n" in text
    assert_valid(tmp_path / "pack")


@pytest.mark.parametrize("label", ["", "Has: colon", " Padded", "Two\nLines"])
def test_a_bag_info_label_that_would_break_the_file_is_refused(tmp_path: Path, label: str) -> None:
    with pytest.raises(ValueError, match="bag-info label"):
        BagItPacker().write(tmp_path / "pack", PAYLOAD, info={label: "x"}, stamp=None)
    assert not (tmp_path / "pack").exists()  # refused before a byte of payload is written


def test_a_stamp_puts_the_answer_and_its_chain_at_the_top_and_the_bag_still_validates(tmp_path: Path) -> None:
    stamped: list[bytes] = []

    def stamp(data: bytes) -> Stamp:
        stamped.append(data)
        return Stamp(b"\x30\x82 DER TimeStampResp", b"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n")

    bagged = BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=stamp)
    pack = tmp_path / "pack"
    assert (bagged.timestamped, bagged.stamp_problem) == (True, None)
    assert stamped == [(pack / "tagmanifest-sha256.txt").read_bytes()]
    assert (pack / "tagmanifest-sha256.txt.tsr").read_bytes() == b"\x30\x82 DER TimeStampResp"
    assert (pack / "tsa-chain.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    for alg in ("sha256", "sha512"):  # a stamp cannot be listed in the file it stamps
        listed = (pack / f"tagmanifest-{alg}.txt").read_text()
        assert "tsa-chain.pem" not in listed and ".tsr" not in listed
    assert_valid(pack)


def test_a_stamp_that_fails_leaves_a_valid_bag_without_one_and_says_why(tmp_path: Path) -> None:
    def stamp(data: bytes) -> Stamp:
        raise StampFailure("the authority answered 500")

    bagged = BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=stamp)
    assert (bagged.timestamped, bagged.stamp_problem) == (False, "the authority answered 500")
    assert not (tmp_path / "pack" / "tagmanifest-sha256.txt.tsr").exists()
    assert not (tmp_path / "pack" / "tsa-chain.pem").exists()
    assert_valid(tmp_path / "pack")


def test_the_folder_may_be_new_or_empty(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    BagItPacker().write(tmp_path / "empty", PAYLOAD, info=INFO, stamp=None)
    BagItPacker().write(tmp_path / "new" / "nested", PAYLOAD, info=INFO, stamp=None)
    assert_valid(tmp_path / "empty")
    assert_valid(tmp_path / "new" / "nested")


def test_a_folder_with_something_in_it_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=f"folder {tmp_path / 'pack'} must not exist or be empty"):
        BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=None)
    assert [p.name for p in (tmp_path / "pack").iterdir()] == ["notes.txt"]


def test_a_file_in_the_folders_place_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pack").write_text("a file")
    with pytest.raises(ValueError, match="must not exist or be empty"):
        BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=None)


def test_an_empty_payload_is_still_a_valid_bag(tmp_path: Path) -> None:
    assert BagItPacker().write(tmp_path / "pack", [], info=INFO, stamp=None).files == 0
    assert "Payload-Oxum: 0.0\n" in (tmp_path / "pack" / "bag-info.txt").read_text()
    assert_valid(tmp_path / "pack")


@pytest.mark.parametrize(("path", "problem"), [
    ("", "is empty"), ("/etc/passwd", "is absolute"), ("../outside.json", "has a . or .. part"),
    ("a/../../b", "has a . or .. part"), ("./a", "has a . or .. part"), ("notices\\2.txt", "has a backslash"),
    ("a//b", "has an empty part"), ("a/", "has an empty part"), ("a\nb", "has a control character"),
    ("a\rb", "has a control character"), ("100%.txt", "has a %"), ("*a.txt", "starts with *"),
    (" a.txt", "has a name starting or ending with a space"),
    ("a/b.txt ", "has a name starting or ending with a space"),
])
def test_a_bad_payload_path_is_refused_by_name(tmp_path: Path, path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"payload path {path!r} {problem}")) as refused:
        BagItPacker().write(tmp_path / "pack", [Payload(path, b"x")], info=INFO, stamp=None)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("paths", [["a.json", "a.json"], ["a", "a/b.json"], ["a/b.json", "a"],
                                   ["caf\u00e9.json", "cafe\u0301.json"]])
def test_a_path_given_twice_or_as_file_and_folder_is_refused(tmp_path: Path, paths: list[str]) -> None:
    with pytest.raises(ValueError, match="given twice, or as both a file and a folder"):
        BagItPacker().write(tmp_path / "pack", [Payload(p, b"x") for p in paths], info=INFO, stamp=None)


def test_a_large_file_is_written_and_zipped_as_a_stream(tmp_path: Path) -> None:
    chunk = bytes(1024 * 1024)

    def snapshot() -> Iterator[bytes]:
        for _ in range(32):
            yield chunk

    tracemalloc.start()
    try:
        BagItPacker().write(tmp_path / "pack", [Payload("snapshots/big.bin", snapshot)], info=INFO, stamp=None)
        BagItPacker().zip(tmp_path / "pack", tmp_path / "pack.zip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "pack" / "data" / "snapshots" / "big.bin").stat().st_size == 32 * len(chunk)
    assert peak < 8 * len(chunk)  # a few chunks in flight, never the 32 MiB file


def test_the_zip_unzips_to_the_same_bag_and_its_sha256_is_the_files(bag: Path, tmp_path: Path) -> None:
    digest = BagItPacker().zip(bag, tmp_path / "pack.zip")
    assert digest == hashlib.sha256((tmp_path / "pack.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        names = archive.namelist()
        assert all(name.startswith("pack/") for name in names) and names == sorted(names)
        assert {i.compress_type for i in archive.infolist() if not i.is_dir()} == {zipfile.ZIP_DEFLATED}
        archive.extractall(tmp_path / "unzipped")
    assert_valid(tmp_path / "unzipped" / "pack")
    files = {p.relative_to(bag).as_posix(): p.read_bytes() for p in bag.rglob("*") if p.is_file()}
    unzipped = tmp_path / "unzipped" / "pack"
    assert {p.relative_to(unzipped).as_posix(): p.read_bytes() for p in unzipped.rglob("*") if p.is_file()} == files


def test_the_same_bag_zips_to_the_same_bytes(bag: Path, tmp_path: Path) -> None:
    assert BagItPacker().zip(bag, tmp_path / "one.zip") == BagItPacker().zip(bag, tmp_path / "two.zip")


def test_a_stamped_bag_unzips_with_its_stamp(tmp_path: Path) -> None:
    BagItPacker().write(tmp_path / "pack", PAYLOAD, info=INFO, stamp=lambda data: Stamp(b"tsr", b"pem"))
    BagItPacker().zip(tmp_path / "pack", tmp_path / "pack.zip")
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        assert archive.read("pack/tagmanifest-sha256.txt.tsr") == b"tsr"
        assert archive.read("pack/tsa-chain.pem") == b"pem"


def test_a_zip_file_inside_the_bag_is_refused(bag: Path) -> None:
    with pytest.raises(ValueError, match="inside the bag"):
        BagItPacker().zip(bag, bag / "pack.zip")
