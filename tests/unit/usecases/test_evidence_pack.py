"""The evidence pack, in-process: the real store, the real bag writer, the in-memory outbound, a clock the test moves.
What is inside, byte for byte; who may build it; where it goes; what the timeline says; a time-stamping authority
that fails."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from unit.usecases.fakes import ALICE, BOB, FRAUD_RATE, PROM, FakeMetrics, FakeTraces

from firehouse.commands.evidence import Freeze
from firehouse.commands.incidents import AssignRole
from firehouse.commands.notices import DraftNotice, RecordFacts
from firehouse.commands.signals import WatchSignal
from firehouse.commands.timeline import Log
from firehouse.comms.evidence_pack import literal
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config.evidence import EvidenceSettings
from firehouse.domain.permissions import NotAllowed
from firehouse.domain.severity import Severity
from firehouse.errors import InvalidChange
from firehouse.integrations.bagging import BagItPacker
from firehouse.store import UnitOfWork
from firehouse.usecases import evidence_pack
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.evidence_pack import EvidencePacks
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.ports import Stamp, StampFailure
from firehouse.usecases.signals import Signals

TYPED = "<!channel> {{ secrets }} *bold* ünïcode `tick`"


class FakeStamps:
    def __init__(self, *, fail: str | None = None) -> None:
        self.fail, self.stamped = fail, []

    def stamp(self, url: str, data: bytes, *, timeout: float) -> Stamp:
        self.stamped.append((url, data))
        if self.fail:
            raise StampFailure(self.fail)
        return Stamp(response=b"DER" + hashlib.sha256(data).digest(), chain=b"-----BEGIN CERTIFICATE-----\n")


@pytest.fixture
def packs(make_service):
    def make(*, stamps=None, **evidence) -> tuple:
        service = make_service(regimes={"gdpr": ("data",)}, evidence=EvidenceSettings(**evidence))
        return service, EvidencePacks(ctx=service.context, packer=BagItPacker(), stamps=stamps)
    return make


def declare(service, *, title="Tenant A sees tenant B's invoices", class_id="data"):
    incident = service.declare(title=title, by=ALICE, severity=Severity.SEV1, class_id=class_id).incident
    room = incident.channel_id
    service.log(Log(TYPED), channel=room, by=ALICE)
    Evidence(service=service, traces=FakeTraces()).snapshot(Freeze((("output", TYPED), ("model", "m-1"))),
                                                            channel=room, by=ALICE)
    notices = NoticeDesk(service=service, templates=TemplateCatalogue.with_override(None))
    notices.record_facts(RecordFacts({"feature": "invoices", "window_start": "09:00 UTC"}), channel=room, by=ALICE)
    drafted = notices.draft(DraftNotice("product"), channel=room, by=ALICE)
    notices.edit(notice_id=drafted.id, by=ALICE, text=f"# Invoices\n\n{TYPED}")
    notices.approve(notice_id=drafted.id, by=ALICE)
    notices.mark_sent(notice_id=drafted.id, by=ALICE)
    return incident


def bag(tmp_path: Path, packs, service, incident, **kw) -> Path:
    folder = tmp_path / "bag"
    packs.export(incident.id, by="dpo (CLI)", folder=folder, **kw)
    return folder


def test_the_pack_holds_the_record_byte_for_byte(packs, tmp_path):
    service, pack = packs(organization="Acme Ltd", contact="dpo@acme.test")
    incident = declare(service)
    folder = bag(tmp_path, pack, service, incident)
    data = folder / "data"
    (snapshot,) = (data / "snapshots").glob("snapshot-*.json")
    assert snapshot.name.endswith(hashlib.sha256(snapshot.read_bytes()).hexdigest() + ".json")  # name = fingerprint
    assert json.loads(snapshot.read_bytes())["fields"]["output"] == TYPED
    (approved,) = (data / "notices").glob("*-approved.md")
    assert approved.read_bytes() == f"# Invoices\n\n{TYPED}".encode()
    meta = json.loads(next((data / "notices").glob("*.json")).read_text())
    assert meta["approved_text_sha256"] == hashlib.sha256(approved.read_bytes()).hexdigest() and meta["sent"]
    record = json.loads((data / "incident.json").read_text())
    assert (record["title"], record["severity"], record["class"]) == (incident.title, "SEV1", "data")
    assert record["moments"]["declared"].endswith("Z") and record["history"][0]["kind"] == "declared"
    lines = (data / "timeline.jsonl").read_text().splitlines()
    assert all(json.loads(line)["at"].endswith("Z") for line in lines)
    assert any(json.loads(line)["text"] == TYPED for line in lines)  # kept as typed
    assert f"`` {TYPED} ``" in (data / "timeline.md").read_text()  # shown as typed, not as Markdown
    regulatory = json.loads((data / "regulatory.json").read_text())
    assert [d["regime"] for d in regulatory["deadlines"]] and regulatory["regimes"]["gdpr"]["classes"] == ["data"]
    info = (folder / "bag-info.txt").read_text()
    assert "Source-Organization: Acme Ltd" in info and "Contact-Email: dpo@acme.test" in info
    assert f"External-Identifier: firehouse incident {incident.id} of deployment fh-" in info
    assert "README.md" in [p.name for p in data.iterdir()] and "DRILL" not in (data / "README.md").read_text()


def test_the_pack_holds_nothing_of_another_incident(packs, tmp_path):
    service, pack = packs()
    other = declare(service, title="Other tenant leak in the reports export")
    incident = declare(service)
    folder = bag(tmp_path, pack, service, incident)
    everything = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert b"Other tenant leak" not in everything and other.channel_id.encode() not in everything


def test_each_pack_goes_on_the_timeline_with_its_full_sha256(packs, tmp_path):
    service, pack = packs()
    incident = declare(service)
    first = pack.export(incident.id, by="dpo (CLI)", zip_to=tmp_path / "one.zip")
    second = pack.export(incident.id, by="dpo (CLI)", zip_to=tmp_path / "two.zip")
    assert first.sha256 == hashlib.sha256((tmp_path / "one.zip").read_bytes()).hexdigest()
    with UnitOfWork(service.engine) as uow:
        built = [e for e in uow.incidents.timeline(incident.id) if e.kind == "evidence"]
    assert [(e.author, e.text.rsplit("sha256 ", 1)[1]) for e in built] == [
        ("dpo (CLI)", first.sha256), ("dpo (CLI)", second.sha256)]  # a new pack each time: an auditor sees both


def test_the_war_room_gets_the_zip_and_only_the_right_people_may_build_it(packs, outbound):
    service, pack = packs()
    incident = declare(service)
    with pytest.raises(NotAllowed, match="legal role holder"):
        pack.for_war_room(channel=incident.channel_id, by=BOB)
    service.assign_role(AssignRole("legal", BOB), channel=incident.channel_id, by=ALICE)
    built = pack.for_war_room(channel=incident.channel_id, by=BOB)
    ((channel, filename, content, comment),) = outbound.files_shared
    assert (channel, filename) == (incident.channel_id, f"firehouse-incident-{incident.id}-evidence.zip")
    assert hashlib.sha256(content).hexdigest() == built.sha256 and built.sha256 in comment
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert f"firehouse-incident-{incident.id}-evidence/bag-info.txt" in archive.namelist()


def test_a_pack_larger_than_slack_takes_says_to_export_it(packs, outbound, monkeypatch):
    service, pack = packs()
    incident = declare(service)
    monkeypatch.setattr(evidence_pack, "SLACK_LIMIT", 100)
    with pytest.raises(InvalidChange, match=f"firehouse export evidence {incident.id} -o pack.zip"):
        pack.for_war_room(channel=incident.channel_id, by=ALICE)
    assert outbound.files_shared == []
    with UnitOfWork(service.engine) as uow:
        assert not [e for e in uow.incidents.timeline(incident.id) if e.kind == "evidence"]


def test_a_time_stamp_covers_the_tag_manifest_and_a_failing_authority_leaves_a_valid_unstamped_pack(packs, tmp_path):
    stamps = FakeStamps()
    service, pack = packs(stamps=stamps, tsa_url="http://127.0.0.1:9/tsa")
    incident = declare(service)
    folder = bag(tmp_path, pack, service, incident)
    ((url, data),) = stamps.stamped
    assert (url, data) == ("http://127.0.0.1:9/tsa", (folder / "tagmanifest-sha256.txt").read_bytes())
    assert (folder / "tagmanifest-sha256.txt.tsr").read_bytes().startswith(b"DER")
    pack.stamps = FakeStamps(fail="the authority answered 500")
    built = pack.export(incident.id, by="dpo (CLI)", folder=tmp_path / "again")
    assert (built.bagged.timestamped, built.bagged.stamp_problem) == (False, "the authority answered 500")
    assert not (tmp_path / "again" / "tagmanifest-sha256.txt.tsr").exists()
    with UnitOfWork(service.engine) as uow:
        last = [e for e in uow.incidents.timeline(incident.id) if e.kind == "evidence"][-1]
    assert "not timestamped (the authority answered 500)" in last.text


def test_a_drill_pack_says_drill(packs, tmp_path):
    service, pack = packs()
    incident = service.declare(title="Practice leak", by=ALICE, severity=Severity.SEV2, class_id="data",
                               drill=True).incident
    folder = bag(tmp_path, pack, service, incident)
    assert "Firehouse-Drill: yes" in (folder / "bag-info.txt").read_text()
    assert "DRILL" in (folder / "bag-info.txt").read_text() and "DRILL" in (folder / "data" / "README.md").read_text()
    assert json.loads((folder / "data" / "regulatory.json").read_text())["deadlines"] == []


def test_an_incident_that_does_not_exist_is_named(packs, tmp_path):
    _, pack = packs()
    with pytest.raises(Exception, match="Incident #99 does not exist"):
        pack.export(99, by="dpo (CLI)", folder=tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


@pytest.mark.parametrize(("text", "shown"), [
    ("Escalated to SEV1", "Escalated to SEV1"),
    ("<!channel> look", "`<!channel> look`"),
    ("a `tick` and *stars*", "``a `tick` and *stars*``"),
    ("two\nlines", "two ⏎ lines"),
    ("- not a list", "`- not a list`"),
])
def test_timeline_md_shows_texts_as_typed(text, shown):
    assert literal(text) == shown


def test_a_watched_signal_with_a_baseline_goes_in_with_its_numbers(make_service, tmp_path):
    baselined = replace(FRAUD_RATE, threshold=None, baseline=timedelta(days=7))
    service = make_service(metric_sources={"prom": PROM}, signals={"fraud-flag-rate": baselined})
    incident = declare(service)
    Signals(service=service, sources=FakeMetrics()).watch(WatchSignal("fraud-flag-rate"),
                                                          channel=incident.channel_id, by=ALICE)
    pack = EvidencePacks(ctx=service.context, packer=BagItPacker(), stamps=None)
    pack.export(incident.id, by="cli:dpo", folder=tmp_path / "bag")
    (watched,) = json.loads((tmp_path / "bag" / "data" / "signals.json").read_text())["watched"]
    assert watched["signal"]["baseline"] == 7 * 24 * 3600  # a duration, in seconds


class RefusingPacker(BagItPacker):
    def write(self, *args, **kwargs):
        raise AssertionError("nothing may be built for someone without the permission")


def test_someone_without_the_permission_builds_nothing(packs):
    service, _ = packs()
    incident = declare(service)
    pack = EvidencePacks(ctx=service.context, packer=RefusingPacker(), stamps=None)
    with pytest.raises(NotAllowed):
        pack.for_war_room(channel=incident.channel_id, by=BOB)


def test_slack_refusing_the_upload_says_the_pack_was_built_and_records_nothing(packs, outbound):
    service, pack = packs()
    incident = declare(service)
    outbound.share_error = "file_uploads_disabled"
    with pytest.raises(InvalidChange, match=rf"was built, but Slack did not take it .*file_uploads_disabled.*"
                                            rf"firehouse export evidence {incident.id}"):
        pack.for_war_room(channel=incident.channel_id, by=ALICE)
    with UnitOfWork(service.engine) as uow:
        assert not [e for e in uow.incidents.timeline(incident.id) if e.kind == "evidence"]


def test_a_time_stamping_authoritys_words_are_escaped_in_slack(packs, outbound):
    service, pack = packs(stamps=FakeStamps(fail="<!channel> proxy error <b>502</b>"), tsa_url="http://127.0.0.1:9/")
    incident = declare(service)
    pack.for_war_room(channel=incident.channel_id, by=ALICE)
    ((_, _, _, comment),) = outbound.files_shared
    assert "&lt;!channel&gt; proxy error &lt;b&gt;502&lt;/b&gt;" in comment and "<!channel>" not in comment


def test_only_the_regimes_of_the_incidents_class_applied(make_service, tmp_path):
    service = make_service(regimes={"gdpr": ("data",), "eu_ai_act": ("output",)})
    incident = declare(service)  # a data incident
    EvidencePacks(ctx=service.context, packer=BagItPacker(), stamps=None).export(incident.id, by="cli:dpo",
                                                                              folder=tmp_path / "bag")
    assert list(json.loads((tmp_path / "bag" / "data" / "regulatory.json").read_text())["regimes"]) == ["gdpr"]


def test_a_pack_built_on_the_server_is_shown_as_such_on_the_timeline(packs, tmp_path):
    from firehouse.cli.evidence import cli_author
    from firehouse.slack.blocks import timeline_messages

    service, pack = packs()
    incident = declare(service)
    by = cli_author()
    pack.export(incident.id, by=by, folder=tmp_path / "bag")
    with UnitOfWork(service.engine) as uow:
        entries = uow.incidents.timeline(incident.id)
    shown = str([m.blocks for m in timeline_messages(incident, entries)])
    assert by.startswith("cli:") and f"{by[4:]} (on the server)" in shown and f"<@{by}>" not in shown
