"""Benchmark: evidence packs are written as a stream, against the same bytes copied into a ZIP file, in the same run.

The payload, made as it comes: `record.json`; `timeline.jsonl`, --entries lines given as a generator, one line a
chunk; and --snapshots files of --mib MiB each, given as generators of 1 MiB chunks of pseudo-random bytes (one
random MiB made once, each chunk a different rotation of it: as incompressible as real noise, since deflate looks
back only 32 KiB, and cheap to make, so neither side pays for making it).

* firehouse: `BagItPacker.write` (the payload written to `data/` chunk by chunk, its SHA-256 and SHA-512 by bagit's
  hasher, the tag files), then `BagItPacker.zip` (the bag deflated into one ZIP file, whose SHA-256 is read back);
* bare: the same chunks written straight into a `zipfile.ZipFile` (ZIP_DEFLATED, `ZipFile.open(name, "w")`), as a
  plain copy of the bytes into a ZIP file with the standard library.

Each side runs in a Python process of its own (this file with `--side`), importing the same modules, so its peak
RSS (VmHWM) is its own; its RSS once ready is printed too. --rounds rounds of bare then firehouse; then firehouse once
more with a quarter of the snapshots, so memory is seen not to grow with the pack. It prints seconds, peak RSS, the
ratios firehouse / bare (the target: time within 2×, memory flat) and peak RSS against the pack's size. Temporary
files go to a folder in the system's temporary directory (--tmp to choose), about twice the pack at a time.

    python bench/evidence.py               # 10,000 entries and 40 × 5 MiB of snapshots, 2 rounds, about a minute
    python bench/evidence.py --quick       # 1,000 entries and 8 × 1 MiB, 1 round, a few seconds
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from firehouse.integrations.bagging import BagItPacker
from firehouse.usecases.ports import Payload

MIB = 1024 * 1024
INFO = {"Source-Organization": "Acme AI", "Contact-Email": "legal@acme.example",
        "External-Identifier": "firehouse-incident-7", "External-Description": "Refund agent approves every refund"}


# --- the payload --------------------------------------------------------------------------------------------

def payload(*, entries: int, snapshots: int, mib: int) -> list[Payload]:
    """The pack's files, each made as it is read, never held whole."""
    noise = random.Random(7).randbytes(MIB)

    def timeline() -> Iterator[bytes]:
        for n in range(entries):
            yield json.dumps({"at": f"2026-03-02T{9 + n // 3600 % 12:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                              "by": "UALICE", "kind": "log",
                              "text": f"entry {n}: <!channel> the {{{{ model }}}} answers again — café"},
                             ensure_ascii=False).encode() + b"\n"

    def snapshot(number: int) -> Callable[[], Iterator[bytes]]:
        def chunks() -> Iterator[bytes]:
            for n in range(mib):
                turn = (number * 7919 + n * 104729) % MIB
                yield noise[turn:] + noise[:turn]
        return chunks

    return [Payload("record.json", b'{"id": 7, "title": "Refund agent approves every refund"}'),
            Payload("timeline.jsonl", timeline),
            *(Payload(f"snapshots/{n}.bin", snapshot(n)) for n in range(1, snapshots + 1))]


def chunks_of(item: Payload) -> Iterator[bytes]:
    return iter([item.content]) if isinstance(item.content, bytes) else iter(item.content())


# --- one side, in a process of its own --------------------------------------------------------------------------

def rss_kib(field: str) -> int:
    """VmHWM (peak) or VmRSS (now) in KiB; the peak from getrusage where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def firehouse(folder: Path, files: list[Payload]) -> dict:
    packer = BagItPacker()
    started = time.perf_counter()
    bagged = packer.write(folder / "pack", files, info=INFO, stamp=None)
    written = time.perf_counter()
    packer.zip(folder / "pack", folder / "pack.zip")
    zipped = time.perf_counter()
    return {"seconds": zipped - started, "write": written - started, "zip": zipped - written,
            "octets": bagged.octets, "zip_bytes": (folder / "pack.zip").stat().st_size}


def bare(folder: Path, files: list[Payload]) -> dict:
    started = time.perf_counter()
    octets = 0
    with zipfile.ZipFile(folder / "bare.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            with archive.open(f"pack/data/{item.path}", "w") as target:
                for chunk in chunks_of(item):
                    octets += target.write(chunk)
    return {"seconds": time.perf_counter() - started, "octets": octets,
            "zip_bytes": (folder / "bare.zip").stat().st_size}


def run_side(side: str, folder: Path, *, entries: int, snapshots: int, mib: int) -> None:
    files = payload(entries=entries, snapshots=snapshots, mib=mib)
    ready = rss_kib("VmRSS")
    measured = (firehouse if side == "firehouse" else bare)(folder, files)
    print(json.dumps({**measured, "ready_kib": ready, "peak_kib": rss_kib("VmHWM")}))


def measure(side: str, tmp: Path, *, entries: int, snapshots: int, mib: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=tmp))
    try:
        done = subprocess.run([sys.executable, __file__, "--side", side, str(folder), "--entries", str(entries),
                               "--snapshots", str(snapshots), "--mib", str(mib)],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the report ---------------------------------------------------------------------------------------------

def mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


def line(name: str, run: dict) -> str:
    parts = f"(write {run['write']:5.2f} + zip {run['zip']:5.2f})" if "write" in run else ""
    return (f"  {name:<12}{run['seconds']:8.2f} s   {parts:<26}  {mib(run['peak_kib'])}  {mib(run['ready_kib'])}"
            f"  {mib(run['peak_kib'] - run['ready_kib'])}  {run['zip_bytes'] / 1e6:8.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=10_000, help="timeline entries (default 10000)")
    parser.add_argument("--snapshots", type=int, default=40, help="snapshot files (default 40)")
    parser.add_argument("--mib", type=int, default=5, help="MiB per snapshot file (default 5)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of bare then firehouse (default 2)")
    parser.add_argument("--quick", action="store_true", help="1,000 entries, 8 × 1 MiB of snapshots, one round")
    parser.add_argument("--tmp", type=Path, default=None, help="where the packs are written (default: the system's)")
    parser.add_argument("--side", nargs=2, metavar=("SIDE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run_side(args.side[0], Path(args.side[1]), entries=args.entries, snapshots=args.snapshots, mib=args.mib)
        return
    if args.quick:
        args.entries, args.snapshots, args.mib, args.rounds = 1_000, 8, 1, 1
    if args.entries < 1 or args.snapshots < 4 or args.mib < 1 or args.rounds < 1:
        parser.error("--entries, --mib and --rounds must be at least 1, --snapshots at least 4")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="firehouse-evidence-bench-", dir=args.tmp))
    size = dict(entries=args.entries, snapshots=args.snapshots, mib=args.mib)
    try:
        runs: dict[str, list[dict]] = {"bare": [], "firehouse": []}
        for _ in range(args.rounds):
            for side in runs:
                runs[side].append(measure(side, tmp, **size))
        quarter = measure("firehouse", tmp, **{**size, "snapshots": args.snapshots // 4})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    octets = runs["firehouse"][0]["octets"]
    print(f"Evidence pack: record.json, timeline.jsonl ({args.entries:,} entries) and {args.snapshots} snapshots ×"
          f" {args.mib} MiB = {octets / 1e6:.1f} MB of payload, each file made as it is read;")
    print("firehouse (BagItPacker.write, then .zip) against the same bytes written straight into a zipfile ZIP"
          " (deflated),")
    print(f"each side in a fresh Python process; {args.rounds} round{'s' if args.rounds > 1 else ''} of bare then"
          " firehouse")
    print(f"  {'':<12}{'time':>10}{'':29}  {'peak RSS':>11}  {'ready':>11}  {'growth':>11}  {'ZIP file':>11}")
    for number in range(args.rounds):
        for side, measured in runs.items():
            print(line(f"{side} {number + 1}" if args.rounds > 1 else side, measured[number]))
    print(line("firehouse ¼", quarter) + f"   ({quarter['octets'] / 1e6:.1f} MB of payload)")

    seconds = {side: statistics.median(r["seconds"] for r in measured) for side, measured in runs.items()}
    peak = {side: statistics.median(r["peak_kib"] for r in measured) for side, measured in runs.items()}
    print(f"  ratio f/b (medians): time {seconds['firehouse'] / seconds['bare']:.2f}× (target ≤ 2×),"
          f" peak RSS {peak['firehouse'] / peak['bare']:.2f}×")
    print(f"  firehouse's peak RSS: {peak['firehouse'] / 1024:.1f} MiB for a {octets / 1e6:.1f} MB pack"
          f" ({peak['firehouse'] * 1024 / octets:.1%} of it); {quarter['peak_kib'] / 1024:.1f} MiB for"
          f" {quarter['octets'] / 1e6:.1f} MB (a quarter of the snapshots)")
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
