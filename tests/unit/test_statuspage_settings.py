"""`[status_page.statuspage]` and `[status_page.firehouse]`: validated at start-up, each bad value named by its key;
the API key read from the variable it names, once."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from unit import tomltext

from firehouse.config import check_settings
from firehouse.config.statuspage import STATUSPAGE_URL, OwnPageSettings, StatuspageSettings, StatusPageSettings
from firehouse.domain.statuspage import DEFAULT_STATES

SECRETS = {"STATUSPAGE_API_KEY": " sp-key-123 "}
ATLASSIAN = """
[status_page.statuspage]
page_id = "kctbh9vrtdwd"
api_key_env = "STATUSPAGE_API_KEY"
components = { output = "8kbf7d35c070", data = "vtnh60py4yd7" }
states = { SEV3 = "partial_outage" }
notify = true
timeout = "4s"
"""
OWN = """
[status_page.firehouse]
name = "Acme status"
url = "https://status.acme.test/"
components = { output = "Assistant answers" }
states = { sev3 = "partial_outage" }
"""
parsed = partial(tomltext.parsed, secrets=SECRETS)
refusal = partial(tomltext.refusal, secrets=SECRETS)


def test_both_pages_read_as_written():
    pages = parsed(ATLASSIAN + OWN)["status_page"]
    assert pages == StatusPageSettings(
        statuspage=StatuspageSettings(page_id="kctbh9vrtdwd", api_key="sp-key-123", url=STATUSPAGE_URL,
                                      components={"output": "8kbf7d35c070", "data": "vtnh60py4yd7"},
                                      states={**DEFAULT_STATES, "sev3": "partial_outage"}, notify=True,
                                      timeout=timedelta(seconds=4)),
        firehouse=OwnPageSettings(name="Acme status", url="https://status.acme.test",
                                  components={"output": "Assistant answers"},
                                  states={**DEFAULT_STATES, "sev3": "partial_outage"}))
    assert pages.enabled and pages.state("sev1") == "major_outage" and pages.state("sev3") == "partial_outage"
    assert "sp-key-123" not in repr(pages)  # the key never reaches a log line


def test_either_page_alone_is_enough_and_neither_is_off():
    assert parsed(OWN)["status_page"].statuspage is None
    assert parsed(ATLASSIAN)["status_page"].firehouse is None
    assert not StatusPageSettings().enabled and StatusPageSettings().state("sev2") == "partial_outage"


@pytest.mark.parametrize(("text", "key", "value", "says"), [
    (ATLASSIAN, "page_id", None, "status_page.statuspage lacks page_id"),
    (ATLASSIAN, "page_id", '"../admin"', "status_page.statuspage.page_id must be Statuspage's id"),
    (ATLASSIAN, "api_key_env", '"lower"', "status_page.statuspage.api_key_env must name an environment variable"),
    (ATLASSIAN, "api_key_env", '"UNSET_KEY"', "api_key_env names UNSET_KEY, which is not set in the environment"),
    (ATLASSIAN, "url", '"ftp://x"', "status_page.statuspage.url must be an http(s) URL"),
    (ATLASSIAN, "components", '{ tarot = "abc" }', "status_page.statuspage.components: 'tarot' is not one of"),
    (ATLASSIAN, "states", '{ sev4 = "major_outage" }', "'sev4' is not a severity"),
    (ATLASSIAN, "states", '{ sev1 = "operational" }', "status_page.statuspage.states.sev1 must be one of"),
    (ATLASSIAN, "notify", '"yes"', "status_page.statuspage.notify must be true or false"),
    (ATLASSIAN, "colour", '"red"', "unknown key status_page.statuspage.'colour'"),
    (OWN, "url", None, "status_page.firehouse lacks url"),
    (OWN, "name", '"   "', "status_page.firehouse.name must be a non-empty string"),
    (OWN, "name", '"' + "x" * 101 + '"', "status_page.firehouse.name is at most 100 characters"),
    (OWN, "components", '{ output = 3 }', "status_page.firehouse.components.output must be a non-empty string"),
])
def test_a_bad_value_is_named_by_its_key(text, key, value, says):
    assert says in refusal(tomltext.changed(text, key, value))


def test_both_pages_share_one_state_per_severity():
    differing = ATLASSIAN + tomltext.changed(OWN, "states", '{ sev3 = "degraded_performance" }')
    assert "status_page.firehouse.states differs from status_page.statuspage.states" in refusal(differing)
    assert parsed(ATLASSIAN + OWN)["status_page"].state("sev3") == "partial_outage"


def test_an_unknown_kind_of_page_is_refused():
    assert refusal('[status_page.pagerduty]\nname = "x"\n') == (
        "unknown key status_page.'pagerduty' (known keys: statuspage, firehouse)")


def test_doctor_names_the_unset_key_variable(tmp_path: Path):
    (tmp_path / "firehouse.toml").write_text(ATLASSIAN)
    _, problems = check_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, cwd=tmp_path)
    assert problems == ["firehouse.toml: status_page.statuspage.api_key_env names STATUSPAGE_API_KEY, which is not"
                        " set in the environment"]
