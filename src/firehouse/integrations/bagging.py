"""Evidence packs as BagIt bags (RFC 8493), and a bag as one ZIP file, both written as a stream:

    <directory>/
      bagit.txt                     BagIt-Version 1.0, tag files in UTF-8
      bag-info.txt                  `info`, with Bagging-Date, Bag-Software-Agent and Payload-Oxum
      manifest-sha256.txt           every payload file's digest
      manifest-sha512.txt
      tagmanifest-sha256.txt        the four files above
      tagmanifest-sha512.txt
      tagmanifest-sha256.txt.tsr    with a stamp: the authority's RFC 3161 answer over tagmanifest-sha256.txt
      tsa-chain.pem                 and its certificates
      data/<path>                   the payload, byte for byte

The payload's digests come from the Library of Congress's `bagit` (its streaming hasher, 512 KiB at a time), and
its validator is the judge: `python -m bagit --validate <directory>`. Not `bagit.make_bag`: it, `Bag.save` and the
helpers they share `os.chdir` into the bag while they hash, which in `firehouse serve` would move every other
thread's relative paths (a relative SQLite URL, a templates folder) for as long as the hashing takes. The few tag
files around the digests are written here, in the form bagit.py writes them.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import bagit

from firehouse import __version__
from firehouse.usecases.ports import Bagged, Payload, Stamp, StampFailure

# bagit says "Generating manifest lines for file …" at INFO for every file: a pack would flood the log.
logging.getLogger("bagit").setLevel(logging.WARNING)

CHECKSUMS = ("sha256", "sha512")
CHUNK = 1024 * 1024  # bytes read or written at a time by the ZIP file and its digest
STAMP_FILE = "tagmanifest-sha256.txt.tsr"
CHAIN_FILE = "tsa-chain.pem"
AGENT = f"Firehouse {__version__} with bagit.py v{bagit.VERSION} <{bagit.PROJECT_URL}>"


class BagItPacker:
    """The `Packer` port: a bag in a folder, then that folder as a ZIP file."""

    def write(self, directory: Path, payload: Iterable[Payload], *, info: dict[str, str],
              stamp: Callable[[bytes], Stamp] | None) -> Bagged:
        """The bag; on a refused path or a failing payload the folder is left as far as it got, for the caller."""
        _check_labels(info)  # before the payload, which may take a while to write
        data = _empty_bag_folder(directory) / "data"
        data.mkdir()
        octets, files = _write_payload(data, payload)
        _write_tags(directory, _digests(data), info={**info, "Payload-Oxum": f"{octets}.{files}"})
        if stamp is None:
            return Bagged(directory, octets, files, timestamped=False)
        try:
            stamped = stamp((directory / "tagmanifest-sha256.txt").read_bytes())
        except StampFailure as err:
            return Bagged(directory, octets, files, timestamped=False, stamp_problem=str(err))
        # Outside every tag manifest (a stamp cannot be in the file it stamps): RFC 8493 lets a bag's top hold tag
        # files no tag manifest lists, and bagit's validator checks only what the manifests list, so it passes.
        (directory / STAMP_FILE).write_bytes(stamped.response)
        (directory / CHAIN_FILE).write_bytes(stamped.chain)
        return Bagged(directory, octets, files, timestamped=True)

    def zip(self, directory: Path, out: Path) -> str:
        """`out` unzips to the bag's folder; entries sorted, each stamped with its file's time, so the same bag gives
        the same bytes. The SHA-256 is read back from `out`, as whoever receives it will compute it."""
        directory = directory.resolve()
        if out.resolve().is_relative_to(directory):
            raise ValueError(f"the ZIP file {out} would be inside the bag it holds, {directory}")
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, strict_timestamps=False) as archive:
            for path in [directory, *sorted(directory.rglob("*"))]:
                name = PurePosixPath(directory.name, *path.relative_to(directory).parts).as_posix()
                if path.is_dir():
                    archive.write(path, name)  # a folder's entry: no bytes
                    continue
                entry = zipfile.ZipInfo.from_file(path, name, strict_timestamps=False)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with path.open("rb") as source, archive.open(entry, "w") as target:
                    shutil.copyfileobj(source, target, CHUNK)
        digest = hashlib.sha256()
        with out.open("rb") as written:
            while chunk := written.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def _empty_bag_folder(directory: Path) -> Path:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValueError(f"the evidence pack's folder {directory} must not exist or be empty")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _write_payload(data: Path, payload: Iterable[Payload]) -> tuple[int, int]:
    """Each file in turn, a chunk at a time; its size and count, for Payload-Oxum."""
    octets = files = 0
    written: set[str] = set()  # paths as bagit compares them (Unicode NFC), so two never name one file
    folders: set[str] = set()
    for item in payload:
        parts = payload_path(item.path)
        name = unicodedata.normalize("NFC", item.path)
        above = [name.rsplit("/", i)[0] for i in range(1, len(parts))]
        if name in written or name in folders or any(f in written for f in above):
            raise ValueError(f"payload path {item.path!r} is given twice, or as both a file and a folder")
        written.add(name)
        folders.update(above)
        target = data.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        chunks = [item.content] if isinstance(item.content, bytes) else item.content()
        with target.open("xb") as out:
            for chunk in chunks:
                octets += out.write(chunk)
        files += 1
    return octets, files


def payload_path(path: str) -> tuple[str, ...]:
    """The parts of a payload path, or ValueError naming it: relative POSIX names that bagit's reader gives back
    unchanged (it strips whitespace around a manifest's path and only un-escapes %0A and %0D, while RFC 8493
    percent-encodes `%` too, so names with those are refused rather than written in a form one side misreads)."""
    parts = tuple(path.split("/"))
    problem = ("is empty" if not path
               else "is absolute" if path.startswith("/")
               else "has a backslash" if "\\" in path
               else "has an empty part" if "" in parts
               else "has a . or .. part" if {".", ".."} & set(parts)
               else "has a control character" if any(ord(c) < 32 or ord(c) == 127 for c in path)
               else "has a %" if "%" in path
               else "has a name starting or ending with a space" if any(p != p.strip() for p in parts)
               else "starts with *" if path.startswith("*")
               else None)
    if problem:
        raise ValueError(f"payload path {path!r} {problem}: give a relative POSIX path such as snapshots/7.json")
    return parts


def _digests(data: Path) -> dict[str, list[tuple[str, str]]]:
    """Each algorithm's (digest, path) lines, in bagit's order (sorted, folder by folder), hashed by bagit."""
    lines: dict[str, list[tuple[str, str]]] = {alg: [] for alg in CHECKSUMS}
    for path in _walk(data):
        name = PurePosixPath("data", *path.relative_to(data).parts).as_posix()
        for alg, digest, _, _ in bagit.generate_manifest_lines(str(path), algorithms=list(CHECKSUMS)):
            lines[alg].append((digest, name))
    return lines


def _walk(folder: Path) -> Iterable[Path]:
    files = sorted(p for p in folder.iterdir() if not p.is_dir())
    yield from files
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        yield from _walk(sub)


def _write_tags(directory: Path, digests: dict[str, list[tuple[str, str]]], *, info: dict[str, str]) -> None:
    tags = {"bagit.txt": "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": _bag_info({"Bagging-Date": datetime.now(UTC).date().isoformat(),
                                       "Bag-Software-Agent": AGENT, **info})}
    tags.update({f"manifest-{alg}.txt": "".join(f"{digest}  {name}\n" for digest, name in lines)
                 for alg, lines in digests.items()})
    for name, text in tags.items():
        (directory / name).write_bytes(text.encode())
    for alg in CHECKSUMS:
        listed = "".join(f"{hashlib.new(alg, (directory / name).read_bytes()).hexdigest()} {name}\n"
                         for name in sorted(tags))
        (directory / f"tagmanifest-{alg}.txt").write_bytes(listed.encode())


def _check_labels(info: dict[str, str]) -> None:
    for label in info:
        if not label or label != label.strip() or ":" in label or len(label.splitlines()) != 1:
            raise ValueError(f"bag-info label {label!r} must be one line, without a colon or spaces around it")


def _bag_info(info: dict[str, str]) -> str:
    """bag-info.txt as bagit.py writes it: labels sorted, one line each (line breaks in a value become spaces)."""
    return "".join(f"{label}: {' '.join(str(info[label]).splitlines())}\n" for label in sorted(info))
