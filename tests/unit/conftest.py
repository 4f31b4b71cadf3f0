"""Fixtures for the in-process tests: a store in tmp_path, a clock a test moves, a fake Slack on 127.0.0.1."""

from __future__ import annotations

import shutil

import pytest
from fakeslack import FakeSlack
from unit.usecases.fakes import ALICE, BOB, CAROL, DANA, GONE, ROBOT, START, SteppedClock

from firehouse import logs
from firehouse.slack.gateway import SlackGateway, make_client
from firehouse.store import make_engine


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """An empty database at this release's schema, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("schema") / "firehouse.db"
    make_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def engine(tmp_path, migrated_database):
    """A SQLite file of its own for each test, at this release's schema."""
    path = tmp_path / "firehouse.db"
    shutil.copyfile(migrated_database, path)
    engine = make_engine(f"sqlite:///{path}", upgrade=False)
    yield engine
    engine.dispose()


@pytest.fixture
def fake():
    """A fake Slack workspace: Alice, Bob, Carol and Dana, a bot and a deactivated user, #incidents."""
    slack = FakeSlack().start()
    for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"), (DANA, "dana")):
        slack.add_user(user_id, name)
    slack.add_user(ROBOT, "robot", is_bot=True)
    slack.add_user(GONE, "gone", deleted=True)
    slack.stakeholders = slack.add_channel("incidents", members=[CAROL])
    yield slack
    slack.stop()


@pytest.fixture
def gateway(fake) -> SlackGateway:
    """The production gateway (with its retry handlers) pointed at the fake Slack."""
    return SlackGateway(make_client(token=fake.bot_token, base_url=fake.api_url))


@pytest.fixture(autouse=True)
def no_log_fields_carried_over():
    """Each test starts with no log fields, as each request does in production (it runs in its own context);
    a use case called straight from a test notes its incident in the test's context otherwise."""
    with logs.bound():
        yield
