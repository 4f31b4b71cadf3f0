"""Evidence: freezing it by command or through the snapshot form, and listing what was frozen."""

from __future__ import annotations

from firehouse.bolt.handlers.request import Form, Request, Services
from firehouse.commands.evidence import BuildEvidencePack, Freeze, FreezeSignals, OpenSnapshotForm, ShowSnapshots
from firehouse.slack import blocks, evidence_blocks
from firehouse.slack.evidence_blocks import read_snapshot_form
from firehouse.slack.gateway import Message

SnapshotForm = tuple[int, dict[str, str]]  # (incident id, the fields filled in)


def freeze(command: OpenSnapshotForm | Freeze | FreezeSignals, req: Request) -> Message | None:
    if isinstance(command, OpenSnapshotForm):
        _open_snapshot_form(req)
        return None
    if isinstance(command, FreezeSignals):
        command = Freeze.of(req.services.signals.snapshot_fields(channel=req.channel, by=req.user))
    snapshot, outcome = req.services.evidence.snapshot(command, channel=req.channel, by=req.user)
    return blocks.with_problems(evidence_blocks.frozen(snapshot).text, outcome.problems)


def snapshot_first(value: str, req: Request) -> None:
    """A firebreak warning's Snapshot first button: the form, before pulling."""
    _open_snapshot_form(req)


def _open_snapshot_form(req: Request) -> None:
    """The form for long evidence, for the war room the person is in."""
    incident = req.services.incidents.incident_in(req.channel)
    req.services.outbound.open_form(req.trigger_id, evidence_blocks.snapshot_form(incident_id=incident.id))


def build_evidence_pack(command: BuildEvidencePack, req: Request) -> Message:
    built = req.services.packs.for_war_room(channel=req.channel, by=req.user)
    return Message(text=f"Built the evidence pack and uploaded it here; sha256 `{built.sha256}`.")


def show_snapshots(command: ShowSnapshots, req: Request) -> Message:
    return evidence_blocks.snapshots_message(req.services.evidence.snapshots(channel=req.channel))


def _check_snapshot(form: SnapshotForm, services: Services) -> dict[str, str]:
    return {} if form[1] else {"output": "Fill in at least one field: the bad output, say."}


def _snapshot_submitted(form: SnapshotForm, req: Request) -> Message:
    incident = req.services.incidents.incident_by_id(form[0])
    snapshot, outcome = req.services.evidence.snapshot(Freeze.of(form[1]), channel=incident.channel_id, by=req.user)
    return blocks.with_problems(evidence_blocks.frozen(snapshot).text, outcome.problems)


SNAPSHOT_FORM = Form(read=read_snapshot_form, check=_check_snapshot, handle=_snapshot_submitted,
                     where=lambda form, services: services.incidents.incident_by_id(form[0]).channel_id)
