"""Housekeeping: sent posts pruned after a retention (the audit trail kept), PostgreSQL URLs in every form,
every settings problem at once, Socket Mode without a signing secret, and read-only commands that never
create a database."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from botprocess import firehouse_command
from sqlmodel import Session, select
from unit.usecases.fakes import ALICE, START

from firehouse.bootstrap import build
from firehouse.config import Settings, check_settings, database_url_of, load_settings, parse_duration
from firehouse.domain.classes import DEFAULT_CLASSES
from firehouse.domain.model import Incident
from firehouse.domain.severity import Severity
from firehouse.errors import ConfigError
from firehouse.scheduler.upkeep import OUTBOX_PRUNE
from firehouse.slack.gateway import Message
from firehouse.slack.outbox import Outbox
from firehouse.store import UnitOfWork
from firehouse.store.tables import NoticeRow, OutboxRow, TimelineEntryRow

DAY = timedelta(days=1)
ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


# --- the outbox forgets what was sent long ago, and nothing else --------------------------------------------


@pytest.fixture
def incident_id(engine) -> int:
    incident, declared = Incident.declare(title="Bot recommends rival products", severity=Severity.SEV2,
                                          incident_class=DEFAULT_CLASSES["output"], by=ALICE, at=START)
    incident.channel_id, incident.channel_name = "C0WARROOM", "inc-20260302-bot-recommends-rival-products"
    with UnitOfWork(engine) as uow:
        uow.incidents.add(incident, [declared])
        uow.commit()
    return incident.id


def owe(engine, outbox: Outbox, incident_id: int, text: str, *, sent_days_ago: float | None) -> int:
    with UnitOfWork(engine) as uow:
        [row] = outbox.add(uow.session, incident_id, [("prompt", "C0WARROOM", Message(text=text), START)])
        if sent_days_ago is not None:
            row.sent_at, row.ts = outbox.clock() - sent_days_ago * DAY, "1.0"
        uow.commit()
        return row.id


def kept(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(row.text for row in session.exec(select(OutboxRow)))


def test_prune_deletes_only_posts_sent_before_the_retention(engine, gateway, clock, incident_id):
    outbox = Outbox(engine=engine, gateway=gateway, clock=clock)
    clock.advance(60 * DAY)
    owe(engine, outbox, incident_id, "sent 31 days ago", sent_days_ago=31)
    owe(engine, outbox, incident_id, "sent 29 days ago", sent_days_ago=29)
    owe(engine, outbox, incident_id, "never sent", sent_days_ago=None)
    with Session(engine) as session:
        timeline_before = len(session.exec(select(TimelineEntryRow)).all())

    assert outbox.prune(older_than=30 * DAY) == 1
    assert kept(engine) == ["never sent", "sent 29 days ago"]
    assert outbox.prune(older_than=30 * DAY) == 0
    with Session(engine) as session:
        assert len(session.exec(select(TimelineEntryRow)).all()) == timeline_before > 0


def test_the_leader_prunes_with_the_configured_retention_at_most_hourly(engine, gateway, clock, fake, incident_id):
    settings = Settings(bot_token=fake.bot_token, signing_secret="s", outbox_retention=7 * DAY)
    services, board = build(settings, engine=engine, gateway=gateway, clock=clock)
    try:
        clock.advance(30 * DAY)
        owe(engine, board.outbox, incident_id, "sent 8 days ago", sent_days_ago=8)
        owe(engine, board.outbox, incident_id, "sent 6 days ago", sent_days_ago=6)
        board.lead()
        assert kept(engine) == ["sent 6 days ago"]

        owe(engine, board.outbox, incident_id, "also 8 days ago", sent_days_ago=8)
        clock.advance(OUTBOX_PRUNE / 2)
        board.lead()
        assert kept(engine) == ["also 8 days ago", "sent 6 days ago"]  # not again within the hour
        clock.advance(OUTBOX_PRUNE / 2)
        board.lead()
        assert kept(engine) == ["sent 6 days ago"]
    finally:
        services.incidents.outbound.fan_out.shutdown()


def test_pruning_leaves_notices_alone(engine, gateway, clock, incident_id):
    with Session(engine) as session:
        notices = len(session.exec(select(NoticeRow)).all())
    Outbox(engine=engine, gateway=gateway, clock=clock).prune(older_than=timedelta(seconds=1))
    with Session(engine) as session:
        assert len(session.exec(select(NoticeRow)).all()) == notices


def test_outbox_retention_defaults_to_30_days_and_reads_days_from_the_file(tmp_path: Path):
    assert load_settings(ENV, cwd=tmp_path).outbox_retention == 30 * DAY
    (tmp_path / "firehouse.toml").write_text('outbox_retention = "90d"\n')
    assert load_settings(ENV, cwd=tmp_path).outbox_retention == 90 * DAY
    assert parse_duration("30d") == 30 * DAY
    (tmp_path / "firehouse.toml").write_text('outbox_retention = "a month"\n')
    with pytest.raises(ConfigError, match="outbox_retention: 'a month' is not a duration"):
        load_settings(ENV, cwd=tmp_path)


# --- PostgreSQL URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "used"), [
    ("postgres://u:p@db:5432/firehouse", "postgresql+psycopg://u:p@db:5432/firehouse"),
    ("postgresql://u:p@db/firehouse?sslmode=require", "postgresql+psycopg://u:p@db/firehouse?sslmode=require"),
    ("postgresql+psycopg://u@db/firehouse", "postgresql+psycopg://u@db/firehouse"),
    ("postgresql+psycopg2://u@db/firehouse", "postgresql+psycopg2://u@db/firehouse"),
    ("sqlite:////data/firehouse.db", "sqlite:////data/firehouse.db"),
])
def test_postgres_urls_in_every_common_form_use_the_psycopg_driver(tmp_path: Path, given: str, used: str):
    assert database_url_of(given) == used
    assert load_settings({**ENV, "FIREHOUSE_DATABASE_URL": given}, cwd=tmp_path).database_url == used


# --- every problem at once; Socket Mode needs no signing secret ----------------------------------------------


def test_every_missing_variable_is_named_in_one_line(tmp_path: Path):
    with pytest.raises(ConfigError) as raised:
        load_settings({}, cwd=tmp_path)
    assert str(raised.value) == ("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set;"
                                 " see the README's configuration section")


def test_check_settings_lists_every_problem_and_keeps_what_it_could_read(tmp_path: Path):
    (tmp_path / "firehouse.toml").write_text(
        'stakeholder_channel = "C0123456789"\n'
        '[trace_sources.phoenix]\nurl = "http://127.0.0.1:6006/v1/traces/{trace_id}"\nheader = "api_key"\n'
        'token_env = "PHOENIX_TOKEN"\n'
        '[firebreaks.refunds-off]\nkind = "kill-switch"\ntarget = "refunds"\nexecutor = "unleash"\n'
        'url = "http://127.0.0.1:4242"\ntoken_env = "UNLEASH_TOKEN"\nfeature = "refunds"\nenvironment = "production"\n')
    settings, problems = check_settings({"SLACK_API_URL": "ftp://x", "SLACK_APP_TOKEN": "xoxb-no"}, cwd=tmp_path)
    assert problems == [  # an app token was given: Socket Mode, so no signing secret is asked for
        "SLACK_BOT_TOKEN is not set; see the README's configuration section",
        "SLACK_APP_TOKEN must be an app-level token starting with xapp-",
        "SLACK_API_URL must be an http(s) URL, not 'ftp://x'",
        "firehouse.toml: firebreaks.refunds-off.token_env names UNLEASH_TOKEN, which is not set in the environment",
        "firehouse.toml: trace_sources.phoenix.token_env names PHOENIX_TOKEN, which is not set in the environment",
    ]
    assert settings.stakeholder_channel == "C0123456789" and list(settings.firebreaks) == ["refunds-off"]


def test_socket_mode_needs_no_signing_secret(tmp_path: Path):
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, cwd=tmp_path)
    assert settings.socket_mode and settings.signing_secret == ""
    with pytest.raises(ConfigError, match="^SLACK_SIGNING_SECRET is not set"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)


# --- read-only commands never create a database -------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["render", "1", "product"],
    ["db", "current"],
    ["export", "fixtures"],
])
def test_a_read_only_command_on_a_fresh_directory_answers_in_one_line_and_creates_nothing(tmp_path, command):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([*firehouse_command(), *command], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"firehouse: no database at {(tmp_path / 'firehouse.db').resolve()}"
    assert list(tmp_path.iterdir()) == []


def test_templates_check_on_a_fresh_directory_creates_nothing(tmp_path):
    done = subprocess.run([*firehouse_command(), "templates", "check"], cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
