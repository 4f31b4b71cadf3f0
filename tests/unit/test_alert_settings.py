"""`[alerts]` and FIREHOUSE_ALERT_TOKEN: rules, defaults and storm control read and checked at start-up."""

from datetime import timedelta
from pathlib import Path

import pytest

from firehouse.config import check_settings, load_settings
from firehouse.domain.alerts import Rule
from firehouse.domain.severity import Severity
from firehouse.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
TOKEN = {"FIREHOUSE_ALERT_TOKEN": "  0123456789abcdef0123  "}
FULL = """
[alerts]
captain = "U0CAPTAIN"
severity = "sev2"
storm_limit = 3
storm_window = "15m"

[[alerts.rules]]
match = { ai_class = "cost" }
class = "cost"
captain = "U0FINOPS"

[[alerts.rules]]
match = { ai_class = "data", env = "prod" }
class = "data"
severity = 1
"""


def settings_of(tmp_path: Path, text: str, environ: dict | None = None):
    (tmp_path / "firehouse.toml").write_text(text)
    return load_settings({**ENV, **(environ if environ is not None else TOKEN)}, cwd=tmp_path)


def refusal(tmp_path: Path, text: str, environ: dict | None = None) -> str:
    with pytest.raises(ConfigError) as refused:
        settings_of(tmp_path, text, environ)
    return str(refused.value)


def test_without_the_token_intake_is_off_whatever_the_file_says(tmp_path):
    alerts = settings_of(tmp_path, FULL, environ={}).alerts
    assert not alerts.enabled and alerts.token is None and alerts.captain == "U0CAPTAIN"


def test_the_token_switches_it_on_and_the_file_sets_rules_defaults_and_storm_control(tmp_path):
    alerts = settings_of(tmp_path, FULL).alerts
    assert alerts.enabled and alerts.token == "0123456789abcdef0123"
    assert (alerts.captain, alerts.class_id, alerts.severity) == ("U0CAPTAIN", None, Severity.SEV2)
    assert (alerts.storm_limit, alerts.storm_window) == (3, timedelta(minutes=15))
    assert alerts.rules == (Rule({"ai_class": "cost"}, "cost", None, "U0FINOPS"),
                            Rule({"ai_class": "data", "env": "prod"}, "data", Severity.SEV1, None))
    assert "0123456789abcdef" not in repr(alerts)  # the secret stays out of logs and tracebacks


def test_defaults_are_five_rooms_in_ten_minutes_at_sev3(tmp_path):
    alerts = settings_of(tmp_path, '[alerts]\ncaptain = "U0CAPTAIN"\n').alerts
    assert (alerts.storm_limit, alerts.storm_window, alerts.severity, alerts.rules) == (
        5, timedelta(minutes=10), Severity.SEV3, ())


@pytest.mark.parametrize(("text", "problem"), [
    ("", "FIREHOUSE_ALERT_TOKEN is set, so [alerts] captain must name the default fire captain"),
    ('[alerts]\ncaptain = "@alice"\n', "alerts.captain must be a user id like \"U0123456789\", not '@alice'"),
    ('[alerts]\ncaptain = "U0C"\ncolour = 1\n', "unknown key alerts.'colour'"),
    ('[alerts]\ncaptain = "U0C"\nclass = "hallucination"\n', "alerts.class must be one of this deployment's classes"),
    ('[alerts]\ncaptain = "U0C"\nseverity = "high"\n', "alerts.severity must be sev1, sev2 or sev3, not 'high'"),
    ('[alerts]\ncaptain = "U0C"\nstorm_limit = 0\n', "alerts.storm_limit must be a whole number from 1 to 1000"),
    ('[alerts]\ncaptain = "U0C"\nstorm_limit = true\n', "alerts.storm_limit must be a whole number"),
    ('[alerts]\ncaptain = "U0C"\nstorm_window = "soon"\n', "alerts.storm_window: 'soon' is not a duration"),
    ('[alerts]\ncaptain = "U0C"\nrules = "all"\n', "alerts.rules must be a list of tables"),
    ('[alerts]\ncaptain = "U0C"\n[[alerts.rules]]\nclass = "cost"\n', "alerts.rules[1].match must name at least"),
    ('[alerts]\ncaptain = "U0C"\n[[alerts.rules]]\nmatch = { ai_class = 3 }\nclass = "cost"\n',
     "alerts.rules[1].match: 'ai_class' = 3 is not a label name and a string value"),
    ('[alerts]\ncaptain = "U0C"\n[[alerts.rules]]\nmatch = { a = "b" }\n', "alerts.rules[1] sets nothing"),
    ('[alerts]\ncaptain = "U0C"\n[[alerts.rules]]\nmatch = { a = "b" }\nclass = "cost"\n[[alerts.rules]]\n'
     'match = { a = "c" }\nclass = "gate"\nowner = "x"\n', "unknown key alerts.rules[2].'owner'"),
    ('[classes]\ncost = false\n[alerts]\ncaptain = "U0C"\n[[alerts.rules]]\nmatch = { a = "b" }\nclass = "cost"\n',
     "alerts.rules[1].class must be one of this deployment's classes (output, action, data, gate, compliance)"),
])
def test_a_bad_alerts_setting_stops_start_up_with_one_line_naming_it(tmp_path, text, problem):
    assert problem in refusal(tmp_path, text)


def test_a_class_the_deployment_adds_may_be_a_rules_class(tmp_path):
    text = ('[classes.hallucination]\ndescription = "made-up facts"\n[alerts]\ncaptain = "U0C"\n'
            '[[alerts.rules]]\nmatch = { kind = "made-up" }\nclass = "hallucination"\n')
    assert settings_of(tmp_path, text).alerts.rules[0].class_id == "hallucination"


def test_a_short_token_is_refused_as_guessable(tmp_path):
    assert refusal(tmp_path, '[alerts]\ncaptain = "U0C"\n', {"FIREHOUSE_ALERT_TOKEN": "secret"}) == (
        "FIREHOUSE_ALERT_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)")


def test_a_file_that_cannot_be_read_is_the_one_problem_not_a_missing_captain_too(tmp_path):
    assert refusal(tmp_path, "[alerts\n").count(";") == 0


def test_commands_that_never_serve_ignore_the_token(tmp_path):
    (tmp_path / "firehouse.toml").write_text("")
    assert not load_settings({**TOKEN}, cwd=tmp_path, slack=False).alerts.enabled


def test_doctor_lists_the_alerts_problem_with_the_others(tmp_path):
    (tmp_path / "firehouse.toml").write_text("")
    _, problems = check_settings({**TOKEN}, cwd=tmp_path)
    assert any("[alerts] captain must name" in p for p in problems) and any("SLACK_BOT_TOKEN" in p for p in problems)


def test_the_readmes_alerts_example_is_accepted(tmp_path):
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Alerts", 1)[1].split("\n### ", 1)[0]
    (example,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    alerts = settings_of(tmp_path, example).alerts
    assert alerts.captain == "U0123456789" and [r.class_id for r in alerts.rules] == ["cost", "data"]
    assert alerts.rules[1].severity is Severity.SEV1 and alerts.storm_limit == 5
