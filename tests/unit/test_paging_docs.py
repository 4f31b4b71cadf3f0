"""docs/paging.md stays true: its configuration loads, its receiver verifies what Firehouse signs, and its lists
of event types and metrics are the ones there are."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from firehouse.config import load_settings
from firehouse.domain.notifications import EVENT_TYPES, Published
from firehouse.integrations.http import signed_headers
from firehouse.integrations.receivers import encoded, envelope
from firehouse.ops.metrics import Metrics

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "paging.md").read_text()
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_configuration_example_is_accepted(tmp_path):
    (example,) = re.findall(r"```toml\n(.*?)```", PAGE, re.S)
    (tmp_path / "firehouse.toml").write_text(example)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PD_AI_PLATFORM_KEY": "k",
                              "PD_WEBHOOK_SECRET": "p", "OPS_BOT_SECRET": SECRET,
                              "WAREHOUSE_EVENTS_SECRET": SECRET}, cwd=tmp_path)
    assert set(settings.pagers) == {"ai-platform", "oncall", "ops-bot"}
    assert [rule.name for rule in settings.routing] == ["legal", "rule 2", "rule 3"]
    assert settings.events[0].wants("firebreak.pulled") and not settings.events[0].wants("notice.sent")


def test_the_receiver_takes_a_signed_event_once_and_refuses_a_forged_one(capsys):
    (snippet,) = re.findall(r"```python\n(.*?)```", PAGE, re.S)
    receiver: dict = {}
    exec(snippet.replace('"whsec_…"', repr(SECRET)), receiver)  # noqa: S102 - the page's own example
    published = Published(id="5f0c9a1e-2b7d-4c1f-9e0a-3d2b1c4e5f60", incident_id=12, type="incident.declared",
                           at=datetime.now(UTC), data={"incident": {"id": 12, "private": False}})
    subscription = type("Sub", (), {"name": "warehouse", "private": False})()
    body = encoded(envelope(published, subscription))
    headers = signed_headers(SECRET, msg_id=published.id, body=body, at=datetime.now(UTC))
    assert receiver["receive"](body, headers) == 204
    assert receiver["receive"](body, headers) == 204
    assert capsys.readouterr().out == "incident.declared 12\n"  # the repeat was not handled again
    assert receiver["receive"](body.replace(b"incident.declared", b"incident.resolved"), headers) == 401
    assert json.loads(body)["id"] == published.id


def test_the_event_types_table_names_every_type():
    named = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", PAGE.split("## Events", 1)[1].split("```", 1)[0]))
    assert named == set(EVENT_TYPES)


def test_the_metrics_table_names_metrics_there_are(engine):
    metrics = Metrics()
    metrics.watch(engine=engine, regimes={}, clock=lambda: datetime.now(UTC), leading=lambda: False)
    exposed = set(re.findall(r"^# TYPE (\S+)", metrics.exposition()[0].decode(), re.M))
    named = re.findall(r"^\| `(firehouse_[a-z_]+)", PAGE, re.M)
    assert len(named) == 4 and set(named) <= exposed, exposed


def test_the_readmes_paging_example_is_accepted(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (example,) = [block for block in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[[events]]" in block]
    (tmp_path / "firehouse.toml").write_text(example)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PD_AI_PLATFORM_KEY": "k",
                              "PD_WEBHOOK_SECRET": "p", "WAREHOUSE_EVENTS_SECRET": SECRET}, cwd=tmp_path)
    assert [rule.page for rule in settings.routing] == [(), ("ai-platform",)]
    assert settings.pagers["ai-platform"].webhook_secret == "p"
