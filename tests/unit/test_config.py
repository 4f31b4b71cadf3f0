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
    assert settings.cadence[Severity.SEV1] == timedelta(minutes=15)
    assert not settings.socket_mode


def test_firehouse_toml_in_the_working_directory_is_read(tmp_path: Path):
    (tmp_path / "firehouse.toml").write_text(
        'stakeholder_channel = "C0123456789"\nchannel_prefix = "ai-inc"\n[cadence]\nsev1 = "20s"\nSEV2 = "1h"\n'
    )
    settings = load_settings({**ENV, "SLACK_API_URL": "http://127.0.0.1:9/api"}, cwd=tmp_path)
    assert settings.stakeholder_channel == "C0123456789"
    assert settings.channel_prefix == "ai-inc"
    assert settings.cadence == {Severity.SEV1: timedelta(seconds=20), Severity.SEV2: timedelta(hours=1),
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
