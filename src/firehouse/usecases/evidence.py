"""Snapshot before you mutate: freezing evidence, typed, from the form, or pulled from a trace source.

Anything that can fail (the trace source, a bad field) fails before the first write, so a refused
snapshot records nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from firehouse.domain.snapshots import Snapshot
from firehouse.domain.traces import lift
from firehouse.errors import InvalidChange, echo
from firehouse.usecases.incidents import IncidentService, Outcome
from firehouse.usecases.ports import TraceSources

RESERVED = ("supersedes", "source")  # keys that steer the snapshot rather than being evidence


class Evidence:
    """Snapshots of an incident."""

    def __init__(self, *, service: IncidentService, traces: TraceSources) -> None:
        self.service = service
        self.traces = traces
        self.settings = service.settings

    def snapshot(self, *, channel: str, by: str, fields: Mapping[str, str]) -> tuple[Snapshot, Outcome]:
        """Freeze `fields`; `trace=<id>` also pulls that trace (from `source=<name>`, or the only source),
        `supersedes=<n>` names the snapshot this one corrects."""
        incident = self.service.incident_in(channel)
        self.service.require(incident, "snapshot", by)
        evidence = {k: v for k, v in fields.items() if k not in RESERVED}
        with self.service.unit_of_work() as uow:
            taken = {s.id for s in uow.evidence.snapshots(incident.id)}
        supersedes = self._supersedes(fields.get("supersedes"), taken)
        raw = source = None
        if "trace" in evidence and (self.settings.trace_sources or "source" in fields):
            source = self._source(fields.get("source"))
            raw = self.traces.fetch(self.settings.trace_sources[source], evidence["trace"].strip())
            evidence = {**lift(json.loads(raw)), **evidence}  # what was typed wins over what was lifted
        snapshot = Snapshot.freeze(evidence, incident_id=incident.id, by=by, at=self.service.clock(),
                                   cap=self.settings.snapshot_max_bytes, supersedes=supersedes, trace_raw=raw,
                                   trace_source=source)
        with self.service.unit_of_work() as uow:
            uow.evidence.add_snapshot(snapshot)
            event = snapshot.event()
            uow.incidents.record(incident, [event])
            uow.commit()
        self.service.notify_saved(incident)
        return snapshot, Outcome(incident, [event], self.service.outbound.publish(incident, [event]))

    def snapshots(self, *, channel: str) -> list[Snapshot]:
        incident = self.service.incident_in(channel)
        with self.service.unit_of_work() as uow:
            return uow.evidence.snapshots(incident.id)

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
