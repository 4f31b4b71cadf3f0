"""The evidence pack end to end, as legal and an auditor would use it: `/incident evidence` in the real `firehouse
serve` uploads a ZIP to the war room; `firehouse export evidence` builds one without Slack; a real time-stamping
authority (OpenSSL's `openssl ts -reply` on 127.0.0.1) fixes it in time; the `bagit` package's own validator and
`openssl ts -verify`, each in a process of its own, check it without Firehouse, and `firehouse evidence verify`
checks it too. A flipped byte or a removed file fails all of them."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from botprocess import BotProcess, firehouse_command
from tsaserver import tsa  # noqa: F401
from warroom import BOB, Room

CONFIG = """stakeholder_channel = "{stakeholders}"
regimes = ["gdpr"]

[evidence]
organization = "Acme Ltd"
contact = "dpo@acme.test"
tsa_url = "{tsa}"
tsa_ca = "{ca}"
timeout = "5s"
"""
TYPED = "<!channel> {{ secrets }} `ticks` ünïcode"


@pytest.fixture(scope="module")
def bot(fake, tsa, tmp_path_factory):  # noqa: F811
    config = CONFIG.format(stakeholders=fake.stakeholders, tsa=tsa.url, ca=tsa.ca_pem)
    with BotProcess(fake=fake, workdir=tmp_path_factory.mktemp("firehouse"), config=config) as process:
        yield process


def cli(bot: BotProcess, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI where Firehouse runs (its settings), or in `cwd`: an auditor's machine, with none."""
    env = bot.environment()
    if cwd is not None:
        env.pop("FIREHOUSE_CONFIG")
    return subprocess.run([*firehouse_command(), *args], cwd=cwd or bot.workdir, env=env, capture_output=True,
                          text=True, timeout=60)


def bagit_validates(folder: Path) -> subprocess.CompletedProcess:
    """The `bagit` package's own validator, in a process of its own, as an auditor would run it."""
    return subprocess.run([sys.executable, "-m", "bagit", "--validate", str(folder)], capture_output=True, text=True,
                          timeout=60)


def unzipped(content: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(where)
    (folder,) = where.iterdir()
    return folder


def incident_of(bot: BotProcess, room: Room) -> int:
    with sqlite3.connect(bot.workdir / "firehouse.db") as db:
        return db.execute("SELECT id FROM incident WHERE channel_id = ?", (room.id,)).fetchone()[0]


def declared(declare) -> Room:
    room = declare("sev1 data Tenant A sees tenant B's invoices")
    room.run(f"log {TYPED}")
    room.run(f"snapshot output={TYPED} model=m-1")
    return room


def test_the_war_room_gets_a_pack_an_auditor_can_check_without_firehouse(fake, bot, declare, tsa, tmp_path):  # noqa: F811
    room = declared(declare)
    reply = room.run("evidence")
    assert reply.startswith("Building the evidence pack")
    upload = fake.wait_for(lambda: [f for f in fake.files(room.id) if f["name"].endswith("-evidence.zip")],
                           timeout=30)[-1]
    content = upload["bytes"]
    sha = hashlib.sha256(content).hexdigest()
    assert sha in upload["comment"] and "timestamped" in upload["comment"]
    assert "not timestamped" not in upload["comment"]
    fake.wait_for(lambda: any(f"sha256 {sha}" in line for line in room.timeline()))  # recorded once uploaded
    folder = unzipped(content, tmp_path / "pack")

    checked = bagit_validates(folder)
    assert checked.returncode == 0, checked.stderr
    stamped = subprocess.run(["openssl", "ts", "-verify", "-data", folder / "tagmanifest-sha256.txt",
                              "-in", folder / "tagmanifest-sha256.txt.tsr", "-CAfile", tsa.ca_pem,
                              "-untrusted", folder / "tsa-chain.pem"], capture_output=True, text=True)
    assert "Verification: OK" in stamped.stdout, stamped.stderr
    ours = cli(bot, "evidence", "verify", str(folder), "--ca", str(tsa.ca_pem))
    assert ours.returncode == 0, ours.stdout + ours.stderr
    snapshot = next((folder / "data" / "snapshots").glob("*.json"))
    assert snapshot.name.endswith(hashlib.sha256(snapshot.read_bytes()).hexdigest() + ".json")
    assert TYPED in (folder / "data" / "timeline.jsonl").read_text()

    payload = next((folder / "data").glob("incident.json"))
    payload.write_bytes(payload.read_bytes().replace(b"Tenant A", b"Tenant Z"))  # one byte flipped
    assert bagit_validates(folder).returncode != 0
    assert cli(bot, "evidence", "verify", str(folder)).returncode == 1


def test_only_legal_the_captain_or_an_admin_builds_it(fake, bot, declare):
    room = declared(declare)
    room.run(f"role scribe <@{BOB}>")
    url = fake.new_response_url()
    assert bot.command("evidence", user=BOB, channel=room.id, response_url=url).status == 200
    refusal = fake.wait_for(lambda: [r["text"] for r in fake.responses(url) if "may build" in r["text"]])[0]
    assert refusal.startswith("Only ") and "the legal role holder" in refusal
    assert not [f for f in fake.files(room.id) if f["name"].endswith("-evidence.zip")]


def test_the_cli_exports_a_timestamped_pack_and_verify_catches_a_removed_file(fake, bot, declare, tsa, tmp_path):  # noqa: F811
    room = declared(declare)
    incident = incident_of(bot, room)
    out = tmp_path / "pack.zip"
    exported = cli(bot, "export", "evidence", str(incident), "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "timestamped" in exported.stderr and hashlib.sha256(out.read_bytes()).hexdigest() in exported.stderr
    verified = cli(bot, "evidence", "verify", str(out), "--ca", str(tsa.ca_pem))
    assert verified.returncode == 0 and "timestamp" in verified.stdout, verified.stdout + verified.stderr
    folder = unzipped(out.read_bytes(), tmp_path / "unzipped")
    (folder / "data" / "timeline.md").unlink()
    assert bagit_validates(folder).returncode != 0
    assert cli(bot, "evidence", "verify", str(folder)).returncode == 1
    again = cli(bot, "export", "evidence", str(incident), "--dir", str(folder))
    assert again.returncode != 0 and "must not exist or be empty" in again.stderr  # never written over


def test_the_tsa_down_still_builds_a_valid_pack_that_says_why(fake, bot, declare, tsa, tmp_path):  # noqa: F811
    room = declared(declare)
    tsa.answer_next(500)
    room.run("evidence")
    upload = fake.wait_for(lambda: [f for f in fake.files(room.id) if f["name"].endswith("-evidence.zip")],
                           timeout=30)[-1]
    assert "not timestamped" in upload["comment"]
    folder = unzipped(upload["bytes"], tmp_path / "pack")
    assert bagit_validates(folder).returncode == 0 and not (folder / "tagmanifest-sha256.txt.tsr").exists()
    elsewhere = cli(bot, "evidence", "verify", str(folder), cwd=tmp_path)  # no CA given: a valid, unstamped bag
    assert elsewhere.returncode == 0 and "timestamp: not timestamped" in elsewhere.stdout
    here = cli(bot, "evidence", "verify", str(folder))  # [evidence] tsa_ca is set: a stamp is expected
    assert here.returncode == 1 and "timestamp: missing, though a CA was given" in here.stdout


def test_an_unknown_incident_is_named(bot, tmp_path):
    exported = cli(bot, "export", "evidence", "9999", "-o", str(tmp_path / "x.zip"))
    assert exported.returncode != 0 and "9999" in exported.stderr and not (tmp_path / "x.zip").exists()
