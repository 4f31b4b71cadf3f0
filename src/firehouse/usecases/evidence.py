"""Snapshot before you mutate: freezing evidence, typed, from the form, or pulled from a trace source.

Anything that can fail (the trace source, a bad field) fails before the first write, so a refused
snapshot records nothing.
"""

from __future__ import annotations

import json

from firehouse.commands.evidence import Freeze
from firehouse.domain.events import Event
from firehouse.domain.permissions import Action
from firehouse.domain.snapshots import Snapshot
from firehouse.domain.traces import lift
from firehouse.errors import InvalidChange, echo
from firehouse.store import UnitOfWork
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.pipeline import Outcome, Target, change, war_room
from firehouse.usecases.ports import TraceSources

RESERVED = ("supersedes", "source")  # keys that steer the snapshot rather than being evidence


class Evidence:
    """Snapshots of an incident."""

    def __init__(self, *, service: IncidentService, traces: TraceSources) -> None:
        self.service = service
        self.traces = traces
        self.settings = service.settings
        self.ctx = service.context

    def snapshot(self, command: Freeze, *, channel: str, by: str) -> tuple[Snapshot, Outcome]:
        """Freeze the command's fields; `trace=<id>` also pulls that trace (from `source=<name>`, or the only
        source), `supersedes=<n>` names the snapshot this one corrects."""
        fields = dict(command.fields)
        incident = self.service.incident_in(channel)
        self.ctx.permissions.require(incident, Action.SNAPSHOT, by)
        evidence = {k: v for k, v in fields.items() if k not in RESERVED}
        with self.ctx.unit_of_work() as uow:
            taken = {s.id for s in uow.evidence.snapshots(incident.id)}
        supersedes = self._supersedes(fields.get("supersedes"), taken)
        raw = source = None
        if "trace" in evidence and (self.settings.trace_sources or "source" in fields):
            source = self._source(fields.get("source"))
            raw = self.traces.fetch(self.settings.trace_sources[source], evidence["trace"].strip())
            evidence = {**lift(json.loads(raw)), **evidence}  # what was typed wins over what was lifted
        snapshot = Snapshot.freeze(evidence, incident_id=incident.id, by=by, at=self.ctx.clock(),
                                   cap=self.settings.snapshot_max_bytes, supersedes=supersedes, trace_raw=raw,
                                   trace_source=source)

        def decide(uow: UnitOfWork, target: Target[None]) -> Event:
            uow.evidence.add_snapshot(snapshot)
            return snapshot.event()

        return snapshot, change(self.ctx, war_room(channel), by=by, needs=None, decide=decide)

    def snapshots(self, *, channel: str) -> list[Snapshot]:
        with self.ctx.unit_of_work() as uow:
            return uow.evidence.snapshots(war_room(channel)(uow).incident.id)

    def _source(self, named: str | None) -> str:
        sources = self.settings.trace_sources
        if named is not None:
            if named not in sources:
                known = ", ".join(sources) or "none is configured"
                raise InvalidChange(f"There is no trace source `{echo(named)}` (configured: {known}).")
            return named
        if len(sources) > 1:
            raise InvalidChange(f"Several trace sources are configured; name one with `source=<{'|'.join(sources)}>`.")
        return next(iter(sources))

    @staticmethod
    def _supersedes(value: str | None, taken: set[int | None]) -> int | None:
        if value is None:
            return None
        number = value.strip().removeprefix("#")
        if not number.isdigit() or int(number) not in taken:
            raise InvalidChange(f"`supersedes={echo(value, 20)}` names no snapshot of this incident:"
                                " use the number `/incident snapshots` shows.")
        return int(number)
