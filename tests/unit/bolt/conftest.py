"""The Slack edge in-process: every use case over a migrated store, the outbound port faked, and a gateway
that only remembers whom it told what."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from unit.usecases.fakes import FakeExecutors, FakeMetrics, FakeOutbound, FakeTraces, paging_over

from firehouse.bolt.handlers import Services
from firehouse.comms.templates import TemplateCatalogue
from firehouse.config import Settings
from firehouse.errors import SlackFailure
from firehouse.integrations.bagging import BagItPacker
from firehouse.slack.gateway import Message
from firehouse.usecases.afteraction import AfterAction
from firehouse.usecases.containment import Containment
from firehouse.usecases.destinations import Destinations
from firehouse.usecases.drills import Drills
from firehouse.usecases.evidence import Evidence
from firehouse.usecases.evidence_pack import EvidencePacks
from firehouse.usecases.incidents import IncidentService
from firehouse.usecases.notices import NoticeDesk
from firehouse.usecases.signals import Signals
from firehouse.usecases.stats import Stats
from firehouse.usecases.statuspage import StatusDesk
from firehouse.usecases.updates import Updates


@dataclass
class TellingGateway:
    """What listeners tell people: (channel or None for a direct message, user, text); `outside` are the
    channels the bot is not in."""

    told: list[tuple[str | None, str, str]] = field(default_factory=list)
    outside: set[str] = field(default_factory=set)

    def post_ephemeral(self, channel: str, user: str, message: Message) -> None:
        if channel in self.outside:
            raise SlackFailure("chat.postEphemeral", "channel_not_found")
        self.told.append((channel, user, message.text))

    def post(self, channel: str, message: Message) -> str:
        self.told.append((None, channel, message.text))
        return "1.0"


@pytest.fixture
def outbound(clock) -> FakeOutbound:
    return FakeOutbound(clock=clock)


@pytest.fixture
def services(engine, outbound, clock) -> Services:
    settings = Settings(bot_token="xoxb-test-token", signing_secret="secret")
    service = IncidentService(engine=engine, outbound=outbound, settings=settings, clock=clock)
    templates = TemplateCatalogue.with_override(None)
    notices, paging = NoticeDesk(service=service, templates=templates), paging_over(service)
    return Services(incidents=service, updates=Updates(service), notices=notices,
                    evidence=Evidence(service=service, traces=FakeTraces()),
                    containment=Containment(service=service, executors=FakeExecutors()),
                    afteraction=AfterAction(service=service, templates=templates),
                    stats=Stats(engine=engine, settings=settings, clock=clock), drills=Drills(service=service),
                    signals=Signals(service=service, sources=FakeMetrics()), paging=paging,
                    statuspage=StatusDesk(service=service, notices=notices, deliveries=paging.deliveries),
                    packs=EvidencePacks(ctx=service.context, packer=BagItPacker(), stamps=None),
                    destinations=Destinations(service=service, notices=notices),
                    gateway=TellingGateway())
