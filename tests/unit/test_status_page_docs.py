"""docs/status-page.md and the README's section stay true: the configuration loads as described, the mapping tables
are the mapping, the screenshot is there, and `firehouse doctor`'s status-page lines say what the page answers."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from statuspageserver import API_KEY, COMPONENTS, PAGE_ID, statuspage  # noqa: F401

from firehouse.config import Settings, load_settings
from firehouse.config.statuspage import StatuspageSettings, StatusPageSettings
from firehouse.domain.lifecycle import Status
from firehouse.domain.severity import Severity
from firehouse.domain.statuspage import DEFAULT_STATES, IMPACT, public_status
from firehouse.ops.doctor_statuspage import status_page_checks

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "status-page.md").read_text()
README = (ROOT / "README.md").read_text()
ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "STATUSPAGE_API_KEY": "k"}


def rows(text: str, heading: str) -> list[list[str]]:
    """The cells of the table that starts with `| heading |`."""
    table = text.split(f"| {heading} |", 1)[1].split("\n\n", 1)[0]
    return [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in table.split("\n")[2:]]


def test_the_configuration_examples_load(tmp_path):
    for text in (PAGE, README):
        example = next(block for block in re.findall(r"```toml\n(.*?)```", text, re.S) if "[status_page" in block)
        (tmp_path / "firehouse.toml").write_text(example)
        pages = load_settings(ENV, cwd=tmp_path).status_page
        assert pages.statuspage.components["output"] == "8kbf7d35c070"
        assert pages.firehouse.components == {"output": "Assistant answers", "data": "Customer data"}


def test_the_status_and_severity_tables_are_the_mapping():
    for firehouse, statuspage in rows(PAGE, "Firehouse"):
        for status in firehouse.split(", "):
            assert public_status(Status(status)) == statuspage
    for severity, impact, state in rows(PAGE, "severity"):
        assert (IMPACT[Severity[severity]], DEFAULT_STATES[severity.lower()]) == (impact, state)
    ((_, *states),) = rows(README, "class's component")
    assert states == [*DEFAULT_STATES.values(), "operational"]


def test_the_screenshot_is_shown_and_exists():
    assert "](docs/status-page.png)" in README and "](status-page.png)" in PAGE
    assert (ROOT / "docs" / "status-page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_path_of_the_public_page_is_listed():
    from firehouse.statuspage.render import PATHS

    assert {f"/{path.lstrip('/')}" for path in PATHS} == set(re.findall(r"^\| `(/[^`]*)` \|", PAGE, re.M))


def test_doctor_reads_the_statuspage_page_and_names_a_missing_component(statuspage):  # noqa: F811
    page = StatuspageSettings(page_id=PAGE_ID, api_key=API_KEY, url=statuspage.url,
                              components={"output": next(iter(COMPONENTS))})
    settings = Settings(bot_token="", signing_secret="", status_page=StatusPageSettings(statuspage=page))
    (check,) = status_page_checks(settings, environ={})
    assert (check.ok, check.detail) == (True, f"page {PAGE_ID} at {statuspage.url} answers with the key;"
                                              f" output → {next(iter(COMPONENTS))}")
    broken = replace(settings, status_page=StatusPageSettings(statuspage=replace(page, components={"data": "nosuch"})))
    (check,) = status_page_checks(broken, environ={})
    assert check.ok is False and "has no component nosuch (components.data)" in check.detail
    refused = replace(settings, status_page=StatusPageSettings(statuspage=replace(page, api_key="wrong")))
    assert "refused the API key (401)" in next(iter(status_page_checks(refused, environ={}))).detail


def test_statuspage_answers_are_counted_apart_from_events():
    from firehouse.ops.metrics import Metrics
    from firehouse.usecases.deliveries import STATUS, Answered
    from firehouse.usecases.ports import PartnerAnswer

    metrics = Metrics()
    for answer, final in ((PartnerAnswer(False, "503", retry=True), False), (PartnerAnswer(True, "taken"), True)):
        metrics.delivered(Answered(STATUS, 1, {"update": 1}, answer, attempts=1, final=final))
    exposed = metrics.exposition()[0].decode()
    assert 'firehouse_status_updates_total{outcome="retrying"} 1.0' in exposed
    assert 'firehouse_status_updates_total{outcome="sent"} 1.0' in exposed
    assert "firehouse_event_deliveries_total{" not in exposed
    assert "`firehouse_status_updates_total`" in (ROOT / "docs" / "operations.md").read_text()
