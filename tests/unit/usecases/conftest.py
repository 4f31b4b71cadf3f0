"""Use cases over a real SQLite store and the in-memory outbound, on a clock the test moves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from unit.usecases.fakes import ALICE, STAKEHOLDERS, FakeOutbound

from firehouse.config import Settings
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.updates import Updates


@pytest.fixture
def settings() -> Settings:
    """The defaults (SEV2 every 30 min, 5 min snooze, the default permissions), with a stakeholder channel."""
    return Settings(bot_token="xoxb-test-token", signing_secret="secret", stakeholder_channel=STAKEHOLDERS)


@pytest.fixture
def outbound(clock) -> FakeOutbound:
    return FakeOutbound(clock=clock)


@pytest.fixture
def make_service(engine, outbound, clock, settings) -> Callable[..., IncidentService]:
    """An IncidentService whose settings differ from `settings` by the keyword arguments given."""
    def make(**changes) -> IncidentService:
        return IncidentService(engine=engine, outbound=outbound, settings=replace(settings, **changes), clock=clock)
    return make


@pytest.fixture
def service(make_service) -> IncidentService:
    return make_service()


@pytest.fixture
def updates(service) -> Updates:
    return Updates(service)


@pytest.fixture
def declared(service) -> Incident:
    """A SEV2 output incident Alice declared at the start of the clock; she is its fire captain."""
    return service.declare(title="Bot recommends rival products", by=ALICE, severity=Severity.SEV2).incident
