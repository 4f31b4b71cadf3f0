"""`firehouse evidence verify`: is this evidence pack still what it was when it was made, and since when?

A pack is a BagIt bag (RFC 8493), as a folder or a ZIP file with the bag's folder at its top. It holds when:

    complete     every file the manifests list is there, and nothing else is in the payload (bagit)
    checksums    every payload and tag file matches every manifest's digest (bagit)
    timestamp    when `tagmanifest-sha256.txt.tsr` and `tsa-chain.pem` are there: an RFC 3161 stamp over the tag
                 manifest as it is, its signature holds, by a time-stamping certificate, chaining to the CA given

Each check is one line for people to read (a failing one names the files, at most MAX_PROBLEMS of them). Stock
tools check the same pack without Firehouse: `bagit.py --validate`, and `openssl ts -verify -data
tagmanifest-sha256.txt -in tagmanifest-sha256.txt.tsr -CAfile <ca> -untrusted tsa-chain.pem`.
"""

from __future__ import annotations

import re
import stat
import string
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import bagit
from cryptography import x509

from firehouse.integrations import cms

TAGMANIFEST = "tagmanifest-sha256.txt"
TSR = f"{TAGMANIFEST}.tsr"
CHAIN = "tsa-chain.pem"
MAX_PROBLEMS = 20  # lines about files; a pack broken everywhere says how many more there are
MAX_UNPACKED = 50 * 10**9  # bytes a ZIP may unpack to: more is no pack but a bomb
# What a pack's top holds: the payload, BagIt's tag files and the stamp pair, nothing else.
TOP_LEVEL = re.compile(r"data|bagit\.txt|bag-info\.txt|(tag)?manifest-(sha256|sha512)\.txt|"
                       r"tagmanifest-sha256\.txt\.tsr|tsa-chain\.pem")


@dataclass(frozen=True)
class Verdict:
    """Whether the pack holds, one line per check, and when it was stamped (if it was, and the stamp holds)."""

    ok: bool
    lines: list[str] = field(default_factory=list)
    timestamped: bool = False
    time: datetime | None = None


class Refused(Exception):
    """A ZIP file that is not unpacked: it would write outside its folder, or is not one bag's folder."""


def verify(path: Path, *, ca: Path | None = None) -> Verdict:
    """Check the pack at `path` (a ZIP file or a bag's folder); with `ca`, the stamp must chain to that CA."""
    path = Path(path)
    if path.is_dir():
        return verify_bag(path, ca=ca)
    with tempfile.TemporaryDirectory(prefix="firehouse-verify-") as scratch:
        try:
            folder = unpack(path, Path(scratch))
        except Refused as why:
            return Verdict(False, [f"pack: refused: {why}"])
        return verify_bag(folder, ca=ca)


def unpack(archive: Path, into: Path) -> Path:
    """The ZIP's one top folder, extracted into `into`; Refused for a path that is absolute or climbs out with
    `..`, a symbolic link, a file beside the folder, or more than one folder at the top."""
    if not archive.is_file() or not zipfile.is_zipfile(archive):
        raise Refused(f"{archive.name} is neither a bag's folder nor a ZIP file")
    with zipfile.ZipFile(archive) as pack:
        tops, names, size = set(), set(), 0
        for member in pack.infolist():
            parts = PurePosixPath(member.filename).parts
            if member.flag_bits & 0x1:
                raise Refused(f"{member.filename!r} is encrypted")
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise Refused(f"{member.filename!r} is compressed in a way a pack never is")
            if member.filename.casefold() in names:  # unzip tools disagree on which copy they keep
                raise Refused(f"{member.filename!r} is in it twice")
            names.add(member.filename.casefold())
            size += member.file_size
            if size > MAX_UNPACKED:
                raise Refused(f"it unpacks to more than {MAX_UNPACKED // 10**9} GB")
            if member.filename.startswith(("/", "\\")) or ".." in parts or not parts:
                raise Refused(f"{member.filename!r} would be written outside the pack's folder")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise Refused(f"{member.filename!r} is a symbolic link")
            if len(parts) == 1 and not member.is_dir():
                raise Refused(f"{member.filename!r} lies beside the bag's folder, not in it")
            tops.add(parts[0])
        if len(tops) != 1:
            raise Refused(f"it holds {len(tops)} folders at its top instead of one bag's")
        try:
            pack.extractall(into)
        except zipfile.BadZipFile as err:
            raise Refused(f"it is damaged ({err})") from None
    return into / tops.pop()


def verify_bag(folder: Path, *, ca: Path | None) -> Verdict:
    try:
        bag = bagit.Bag(str(folder))
    except (bagit.BagError, UnicodeError) as err:
        return Verdict(False, [f"bag: {folder.name} is not a BagIt bag ({unplaced(str(err), folder)})"])
    held, lines = contents(bag)
    lines = [unplaced(line, folder) for line in lines]
    # bagit checks the payload only: a file added beside it (a note, a folder) is no part of the pack either
    strays = sorted(p.name for p in folder.iterdir() if not TOP_LEVEL.fullmatch(p.name) or p.is_dir() != (
        p.name == "data"))
    if strays:
        held = False
        lines += [f"complete: {name} is at the bag's top but is no part of a pack" for name in strays]
    stamped, stamp_lines, moment = timestamp(folder, ca=ca)
    if ca is not None and moment is None and stamped:  # a CA was given: a stamp removed must not pass unseen
        stamped, stamp_lines = False, ["timestamp: missing, though a CA was given to check it against"]
    version = ".".join(map(str, bag.version_info))
    return Verdict(held and stamped, [f"bag: {folder.name} (BagIt {version})", *lines, *stamp_lines],
                   timestamped=moment is not None, time=moment)


def contents(bag: bagit.Bag) -> tuple[bool, list[str]]:
    """bagit's full validation, told per file: what is missing or added, and which digests do not match."""
    missing, added = bag.compare_manifests_with_fs()
    complete = ([f"complete: {name} is in a manifest but not in the bag" for name in sorted(missing)]
                + [f"complete: {name} is in the bag but in no manifest" for name in sorted(added)]
                or ["complete: nothing missing, nothing added"])
    try:
        bag.validate()
    except bagit.BagValidationError as err:
        return False, limited(complete + checksums(bag, err, complete=not (missing or added)))
    except bagit.BagError as err:
        return False, limited([*complete, f"bag: {err}"])
    payload = len(bag.payload_entries())
    return True, [*complete, f"checksums: {payload} payload files and {len(bag.entries) - payload} tag files "
                             f"match ({', '.join(sorted(bag.algorithms))})"]


def checksums(bag: bagit.Bag, err: bagit.BagValidationError, *, complete: bool) -> list[str]:
    """The lines for a failed validation. bagit stops at the first kind of failure it meets: an incomplete bag is
    not checksummed, and a wrong Payload-Oxum (a file that changed size) hides which file it was, so the digests
    are then checked without it, to name the file."""
    mismatches = sorted(mismatch(detail) for detail in err.details if isinstance(detail, bagit.ChecksumMismatch))
    told = (bagit.ChecksumMismatch, bagit.FileMissing, bagit.UnexpectedFile)  # the others are said on lines above
    lines = [f"bag: {detail}" for detail in err.details if not isinstance(detail, told)]
    if not err.details:
        lines.append(f"bag: {err.message}")
    if mismatches:
        return mismatches + lines
    if not complete:
        return [*lines, "checksums: not checked, as the bag is not complete"]
    if bag.info.pop("Payload-Oxum", None) is not None:
        try:
            bag.validate()
        except bagit.BagValidationError as again:
            lines += sorted(mismatch(detail) for detail in again.details
                            if isinstance(detail, bagit.ChecksumMismatch))
    return lines


def mismatch(detail: bagit.ChecksumMismatch) -> str:
    if not all(char in string.hexdigits for char in detail.found or ""):
        return f"checksums: {detail.path} is listed but cannot be read"  # bagit puts the reading error in `found`
    return (f"checksums: {detail.path} does not match its {detail.algorithm} (the manifest says "
            f"{detail.expected[:16]}…, the file is {detail.found[:16]}…)")


def unplaced(text: str, folder: Path) -> str:
    """bagit's words name files by their full path; a pack's reader knows only the paths inside it (and a ZIP's
    temporary folder means nothing to anyone)."""
    return text.replace(f"{folder}/", "").replace(str(folder), folder.name)


def limited(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_PROBLEMS:
        return lines
    return [*lines[:MAX_PROBLEMS], f"… and {len(lines) - MAX_PROBLEMS} more"]


def timestamp(folder: Path, *, ca: Path | None) -> tuple[bool, list[str], datetime | None]:
    """Whether the pack's time stamp holds (or there is none at all), its line, and the stamped time."""
    tsr, chain = folder / TSR, folder / CHAIN
    if not tsr.exists() and not chain.exists():
        return True, ["timestamp: not timestamped"], None
    try:
        if not tsr.is_file() or not chain.is_file():
            there, absent = (TSR, CHAIN) if tsr.is_file() else (CHAIN, TSR)
            raise cms.Invalid(f"{there} is in the pack but {absent} is not")
        if not (folder / TAGMANIFEST).is_file():
            raise cms.Invalid(f"the pack has no {TAGMANIFEST} for its stamp to be over")
        token = cms.read(tsr.read_bytes())
        token.check_imprint((folder / TAGMANIFEST).read_bytes(), what=f"{TAGMANIFEST} as it is in the pack")
        pool = certificates(chain.read_bytes(), CHAIN)
        signer = cms.signer(token, pool)
        cms.check_signature(token, signer)
        cms.check_time_stamping(signer)
        cms.check_valid_at(signer, token.time)
        trust = "not checked against a CA (none given)"
        if ca is not None:
            anchors = certificates(ca.read_bytes(), ca.name) if ca.is_file() else []
            if not anchors:
                raise cms.Invalid(f"the CA file {ca.name} holds no certificate")
            cms.chain_to(signer, pool=[*pool, *token.certificates], anchors=anchors, at=token.time)
            trust = "chains to the given CA"
    except cms.Invalid as problem:
        return False, [f"timestamp: does not hold: {problem}"], None
    return True, [f"timestamp: {token.time:%Y-%m-%d %H:%M:%S} UTC by {cms.described(signer)}, over {TAGMANIFEST}; "
                  f"signature holds; {trust}"], token.time


def certificates(pem: bytes, name: str) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise cms.Invalid(f"{name} holds no readable PEM certificate") from None
