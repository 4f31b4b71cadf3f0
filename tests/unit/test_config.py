from datetime import timedelta
from pathlib import Path

import pytest

from firehouse.config import load_settings, parse_duration
from firehouse.domain.severity import Severity
from firehouse.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_defaults_need_only_the_token_and_secret(tmp_path: Path):
    settings = load_settings(ENV, cwd=tmp_path)
    assert settings.api_url == "https://slack.com/api/"
    assert settings.database_url == f"sqlite:///{tmp_path / 'firehouse.db'}"
    assert settings.channel_prefix == "inc"
    assert settings.stakeholder_channel is None
    assert settings.cadence.by_severity[Severity.SEV1] == timedelta(minutes=15)
    assert not settings.socket_mode


def test_firehouse_toml_in_the_working_directory_is_read(tmp_path: Path):
    (tmp_path / "firehouse.toml").write_text(
        'stakeholder_channel = "C0123456789"\nchannel_prefix = "ai-inc"\n[cadence]\nsev1 = "20s"\nSEV2 = "1h"\n'
    )
    settings = load_settings({**ENV, "SLACK_API_URL": "http://127.0.0.1:9/api"}, cwd=tmp_path)
    assert settings.stakeholder_channel == "C0123456789"
    assert settings.channel_prefix == "ai-inc"
    assert settings.cadence.by_severity == {Severity.SEV1: timedelta(seconds=20), Severity.SEV2: timedelta(hours=1),
                                            Severity.SEV3: timedelta(minutes=60)}
    assert settings.api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize("text", ["", "15", "15x", "0m", "-1m", "1.5h", "m"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_settings_are_frozen(tmp_path: Path):
    settings = load_settings(ENV, cwd=tmp_path)
    with pytest.raises(AttributeError):
        settings.channel_prefix = "x"


def test_a_cadence_that_is_not_a_table_is_refused(tmp_path: Path):
    (tmp_path / "firehouse.toml").write_text('cadence = "15m"\n')
    with pytest.raises(ConfigError, match=r"\[cadence\] must be a table"):
        load_settings(ENV, cwd=tmp_path)


def write(tmp_path: Path, text: str):
    (tmp_path / "firehouse.toml").write_text(text)
    return load_settings(ENV, cwd=tmp_path)


def test_classes_can_be_added_adjusted_and_removed(tmp_path: Path):
    settings = write(tmp_path, """
[classes]
gate = false
[classes.hallucination]
description = "made-up facts reached users"
lanes = ["product"]
[classes.output]
private = true
""")
    classes = settings.catalog.classes
    assert "gate" not in classes
    assert classes["hallucination"].lanes == ("product",) and not classes["hallucination"].private
    assert classes["output"].private and classes["output"].description.startswith("wrong, unsafe")


def test_causes_and_roles_are_configurable(tmp_path: Path):
    settings = write(tmp_path, 'roles = ["scribe", "legal", "security"]\n[causes]\nvendor = "the provider failed"\n'
                               'eval-drift = false\n')
    assert settings.catalog.roles == ("scribe", "legal", "security")
    assert settings.catalog.causes["vendor"] == "the provider failed"
    assert "eval-drift" not in settings.catalog.causes


def test_permissions_and_admins_are_configurable(tmp_path: Path):
    settings = write(tmp_path, 'admins = ["U0ADMIN01", "S0ONCALL1"]\n[permissions]\nlog = ["captain", "scribe"]\n')
    assert settings.admins == ("U0ADMIN01", "S0ONCALL1")
    assert settings.policy.rules["log"] == {"captain", "scribe"}


@pytest.mark.parametrize(("text", "message"), [
    ("[classes.new]\nlanes = [\"product\"]\n", "classes.new is new, so it needs a description"),
    ("[classes.output]\nlanes = [\"press\"]\n", "classes.output.lanes may hold product, legal, internal"),
    ("[classes.output]\ncolour = 1\n", "unknown key classes.output.'colour'"),
    ("[classes]\n" + "".join(f"{c} = false\n" for c in ("output", "action", "data", "cost", "gate", "compliance")),
     "removes every class"),
    ("[causes]\nmodel = 3\n", "causes.model must be a description"),
    ("roles = [\"captain\"]\n", "'captain' is reserved"),
    ("roles = [\"scribe\"]\n", "roles removes 'legal', who may approve legal-lane notices; set permissions.approve_legal"),
    ("[permissions]\nlaunch = [\"anyone\"]\n", "unknown key permissions.launch"),
    ("[permissions]\nlog = [\"nobody\"]\n", "permissions.log may list anyone, captain, admins"),
    ("admins = [\"alice\"]\n", "admins must be a user id (U…) or user group id (S…)"),
])
def test_bad_catalogues_and_rules_are_refused_with_the_key_named(tmp_path: Path, text, message):
    with pytest.raises(ConfigError) as err:
        write(tmp_path, text)
    assert message in str(err.value)


def test_cadence_may_differ_per_status_and_the_board_is_configurable(tmp_path: Path):
    from firehouse.domain.lifecycle import Status

    settings = write(tmp_path, '[cadence]\nsev1 = "10m"\n[cadence.monitoring]\nsev1 = "30m"\n'
                               '[status_board]\nmissed_before_escalation = 3\nescalate_to = "S0ONCALL1"\nsnooze = "2m"\n')
    assert settings.cadence.interval(Severity.SEV1, Status.INVESTIGATING) == timedelta(minutes=10)
    assert settings.cadence.interval(Severity.SEV1, Status.MONITORING) == timedelta(minutes=30)
    assert settings.cadence.interval(Severity.SEV2, Status.MONITORING) == timedelta(minutes=30)
    assert settings.cadence.interval(Severity.SEV1, Status.RESOLVED) is None
    assert (settings.board.missed_before_escalation, settings.board.escalate_to, settings.board.snooze) == (
        3, "S0ONCALL1", timedelta(minutes=2))


@pytest.mark.parametrize(("text", "message"), [
    ('[cadence.resolved]\nsev1 = "1m"\n', "unknown key cadence.resolved"),
    ('[cadence.monitoring]\nsev7 = "1m"\n', "unknown key cadence.monitoring.sev7"),
    ('[status_board]\nmissed_before_escalation = 0\n', "at least 1"),
    ('[status_board]\nescalate_to = "#oncall"\n', "status_board.escalate_to must be a user group id"),
    ('[status_board]\nnag = true\n', "unknown key status_board.'nag'"),
])
def test_bad_board_settings_are_refused(tmp_path: Path, text, message):
    with pytest.raises(ConfigError) as err:
        write(tmp_path, text)
    assert message in str(err.value)


def test_the_background_pool_is_sized_by_workers(tmp_path: Path):
    assert load_settings(ENV, cwd=tmp_path).workers == 16
    (tmp_path / "firehouse.toml").write_text("workers = 40\n")
    assert load_settings(ENV, cwd=tmp_path).workers == 40


@pytest.mark.parametrize("value", ["0", "257", "true", '"8"', "2.5"])
def test_workers_outside_one_to_256_are_refused(tmp_path: Path, value):
    (tmp_path / "firehouse.toml").write_text(f"workers = {value}\n")
    with pytest.raises(ConfigError, match="workers must be a whole number from 1 to 256"):
        load_settings(ENV, cwd=tmp_path)
