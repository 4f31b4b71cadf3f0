"""The regulator's evidence pack: everything recorded about one incident, as a BagIt bag a third party can check
without trusting Firehouse, optionally fixed in time by a time-stamping authority.

`/incident evidence` builds it and uploads it to the war room (a private incident's is private too);
`firehouse export evidence` builds it without Slack. Each pack built goes on the timeline with its full SHA-256 and
who built it; building again makes a new pack, so an auditor sees both.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url

from firehouse.comms.evidence_pack import IncidentRecord, SnapshotRef, payload
from firehouse.comms.mrkdwn import escape
from firehouse.domain.model import Incident
from firehouse.domain.packs import EvidencePacked, stamped
from firehouse.domain.permissions import Action
from firehouse.domain.snapshots import Snapshot
from firehouse.errors import InvalidChange, SlackFailure
from firehouse.usecases.pipeline import Context, by_id, change, war_room
from firehouse.usecases.ports import Bagged, Packer, Stamp, TimeStamps

SLACK_LIMIT = 1_000_000_000  # bytes: Slack takes no larger file


@dataclass(frozen=True)
class Built:
    """A pack built: the bag, and the SHA-256 and size of the ZIP made of it (of its tag manifest and payload when
    it was written as a folder)."""

    bagged: Bagged
    sha256: str
    size: int


class EvidencePacks:
    def __init__(self, *, ctx: Context, packer: Packer, stamps: TimeStamps | None) -> None:
        """`ctx` may have no outbound (the CLI): only `/incident evidence` talks to Slack."""
        self.ctx = ctx
        self.settings = ctx.settings
        self.packer = packer
        self.stamps = stamps

    def record(self, incident_id: int) -> IncidentRecord:
        """Everything about the incident, read in one transaction (nothing of any other incident)."""
        with self.ctx.unit_of_work() as uow:
            incident = by_id(incident_id)(uow).incident
            return IncidentRecord(
                incident=incident, timeline=uow.incidents.timeline(incident_id),
                snapshots=[SnapshotRef(number, fingerprint, traced, partial(self._snapshot, number))
                           for number, fingerprint, traced in uow.evidence.snapshot_index(incident_id)],
                firebreaks=uow.evidence.firebreaks(incident_id),
                notices=uow.notices.of(incident_id), deadlines=incident.deadlines(self.settings.regimes),
                postmortems=uow.afteraction.postmortems(incident_id),
                fixtures=uow.afteraction.fixtures(incident_id), actions=uow.afteraction.actions(incident_id),
                alerts=uow.alerts.of(incident_id), watches=uow.signals.watches(incident_id, active=False),
                verifications=uow.signals.verifications(incident_id),
                status_updates=uow.statuspage.of(incident_id), pages=uow.paging.pages(incident_id),
                regimes={regime: classes for regime, classes in self.settings.regimes.items()
                         if incident.class_id in classes and not incident.drill})  # those that applied

    def _snapshot(self, number: int) -> Snapshot:
        with self.ctx.unit_of_work() as uow:
            return uow.evidence.snapshot(number)

    def export(self, incident_id: int, *, by: str, zip_to: Path | None = None, folder: Path | None = None) -> Built:
        """`firehouse export evidence`: the bag in `folder` (kept), or zipped to `zip_to`."""
        if folder is not None:
            built = self._build(incident_id, folder=folder, zip_to=None)
        else:
            with tempfile.TemporaryDirectory(prefix="firehouse-evidence-") as work:
                built = self._build(incident_id, folder=Path(work) / _bag_name(incident_id), zip_to=zip_to)
        self._record(incident_id, built, by=by, where="exported" if zip_to else "exported as a folder")
        return built

    def for_war_room(self, *, channel: str, by: str) -> Built:
        """`/incident evidence`: build the pack, upload it to the war room, and put it on the timeline."""
        incident = self.ctx.read(war_room(channel)).incident
        self.ctx.permissions.require(incident, Action.EVIDENCE, by)
        with tempfile.TemporaryDirectory(prefix="firehouse-evidence-") as work:
            bag, zipped = Path(work) / _bag_name(incident.id), Path(work) / f"{_bag_name(incident.id)}.zip"
            built = self._build(incident.id, folder=bag, zip_to=zipped)
            export = f"`firehouse export evidence {incident.id} -o pack.zip` on the server"
            if built.size > SLACK_LIMIT:
                raise InvalidChange(f"The evidence pack is {built.size / 1e9:.1f} GB, more than Slack takes. Build"
                                    f" it with {export}.")
            try:  # a private incident's war room is private: the pack goes nowhere else
                self.ctx.outbound.share_file(incident.channel_id, path=zipped, filename=zipped.name,
                                             title=f"Evidence pack, incident {incident.id}", comment=summary(built))
            except SlackFailure as failure:
                raise InvalidChange(f"The evidence pack was built, but Slack did not take it ({failure}); nothing is"
                                    f" on the timeline. Try again, or build it with {export}.") from None
        self._record(incident.id, built, by=by, where="uploaded to the war room")
        return built

    # --- building ---------------------------------------------------------------------------------------------

    def _build(self, incident_id: int, *, folder: Path, zip_to: Path | None) -> Built:
        record = self.record(incident_id)
        bagged = self.packer.write(folder, payload(record), info=self._info(record.incident), stamp=self._stamp())
        if zip_to is not None:
            sha, size = self.packer.zip(folder, zip_to), zip_to.stat().st_size
        else:  # a folder: its tag manifest names every other file's checksum, so its hash stands for the bag
            manifest = (folder / "tagmanifest-sha256.txt").read_bytes()
            sha, size = hashlib.sha256(manifest).hexdigest(), bagged.octets
        return Built(bagged, sha, size)

    def _record(self, incident_id: int, built: Built, *, by: str, where: str) -> None:
        """On the timeline: the pack's full SHA-256 and who built it."""
        bagged = built.bagged
        event = EvidencePacked(at=self.ctx.clock(), by=by, sha256=built.sha256, files=bagged.files,
                               octets=bagged.octets, timestamped=bagged.timestamped, where=where,
                               stamp_problem=bagged.stamp_problem)
        # on the timeline only: the war room already has the pack and its line, and the CLI has no Slack
        change(self.ctx, by_id(incident_id), by=by, needs=None, decide=lambda uow, target: [event], publish=False,
               tell=False)

    def _stamp(self) -> Callable[[bytes], Stamp] | None:
        evidence = self.settings.evidence
        if not evidence.tsa_url or self.stamps is None:
            return None
        url, seconds = evidence.tsa_url, evidence.timeout.total_seconds()

        def stamp(data: bytes) -> Stamp:
            return self.stamps.stamp(url, data, timeout=seconds)

        return stamp

    def _info(self, incident: Incident) -> dict[str, str]:
        """bag-info.txt: who the pack comes from, which incident of which deployment, and a drill said as such."""
        evidence = self.settings.evidence
        info = {"External-Identifier": f"firehouse incident {incident.id} of deployment {self.deployment}",
                "External-Description": (("DRILL: a practice incident, not a real one. " if incident.drill else "")
                                         + f"Evidence pack of incident {incident.id}, {incident.severity.label}"
                                         f" {incident.class_id}, built by Firehouse")}
        if evidence.organization:
            info["Source-Organization"] = evidence.organization
        if evidence.contact:
            info["Contact-Email"] = evidence.contact
        if incident.drill:
            info["Firehouse-Drill"] = "yes"
        return info

    @property
    def deployment(self) -> str:
        """The deployment's id: the same for every replica of one deployment (one database), and no secret."""
        url = make_url(self.settings.database_url).set(password=None).render_as_string(hide_password=True)
        return "fh-" + hashlib.sha256(url.encode()).hexdigest()[:12]


def summary(built: Built) -> str:
    """The pack's one line in the war room."""
    bagged = built.bagged
    # the authority's words, escaped: not Slack's to read as mentions or links
    fixed = stamped(bagged.timestamped, escape(bagged.stamp_problem) if bagged.stamp_problem else None)
    return (f"Evidence pack: {bagged.files} files, {built.size / 1e6:.1f} MB, {fixed}; sha256 `{built.sha256}`."
            " Check it with `bagit.py --validate` or `firehouse evidence verify`.")


def _bag_name(incident_id: int) -> str:
    return f"firehouse-incident-{incident_id}-evidence"
