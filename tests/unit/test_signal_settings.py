"""`[metric_sources.<name>]`, `[signals.<name>]` and `[watch]`: validated at start-up, each bad value named."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from unit import tomltext

from firehouse.config import check_settings, load_settings
from firehouse.config.signals import MAX_LABEL, MAX_QUERY, MetricSourceSettings, WatchSettings
from firehouse.domain.signals import Signal, WatchWhen
from firehouse.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
SECRETS = {"PROM_TOKEN": " Bearer s3cret "}
FLAGS_QUERY = "sum(rate(fraud_flags[5m])) / sum(rate(refunds[5m]))"

PROM = """
[metric_sources.prom]
url = "http://prom:9090/"
header = "Authorization"
token_env = "PROM_TOKEN"
timeout = "3s"
default = true
"""
THANOS = """
[metric_sources.thanos]
kind = "prometheus"
url = "https://thanos.internal"
"""
FLAGS = f"""
[signals.fraud-flag-rate]
source = "prom"
query = "{FLAGS_QUERY}"
label = "  fraud-flag rate  "
unit = "percent"
worse = "higher"
threshold = 0.03
tolerance = 0.1

[signals.fraud-flag-rate.watch]
classes = ["action"]
firebreaks = ["refund-agent-off"]
alerts = ["HighFraudFlags"]
"""
REFUNDS = """
[signals.refunds]
source = "thanos"
query = "sum(rate(refunds[5m]))"
baseline = "7d"
"""
WATCH = """
[watch]
verify_after = "15m"
window = "2m"
settle = "1h"
"""
FULL = PROM + THANOS + FLAGS + REFUNDS + WATCH


parsed = partial(tomltext.parsed, secrets=SECRETS)
refusal = partial(tomltext.refusal, secrets=SECRETS)
changed = tomltext.changed


def signal_with(key: str, value: str | None) -> str:
    """One source and the refunds signal (without its source, which the one source fills in), `key` changed."""
    return THANOS + changed(changed(REFUNDS, "source", None), key, value)


# --- what a full configuration reads as ---------------------------------------------------------------------

def test_a_full_configuration_reads_sources_signals_and_the_watch_settings():
    settings = parsed(FULL)
    assert settings["metric_sources"] == {
        "prom": MetricSourceSettings(name="prom", url="http://prom:9090", kind="prometheus", header="Authorization",
                                     token="Bearer s3cret", timeout=timedelta(seconds=3), default=True),
        "thanos": MetricSourceSettings(name="thanos", url="https://thanos.internal")}
    assert settings["signals"] == {
        "fraud-flag-rate": Signal(name="fraud-flag-rate", query=FLAGS_QUERY, label="fraud-flag rate", source="prom",
                                  unit="percent", worse="higher", threshold=0.03, tolerance=0.1,
                                  watch=WatchWhen(classes=("action",), firebreaks=("refund-agent-off",),
                                                  alerts=("HighFraudFlags",))),
        "refunds": Signal(name="refunds", query="sum(rate(refunds[5m]))", label="refunds", source="thanos",
                          baseline=timedelta(days=7))}
    assert settings["watch"] == WatchSettings(verify_after=timedelta(minutes=15), window=timedelta(minutes=2),
                                              settle=timedelta(hours=1))


def test_a_source_defaults_to_prometheus_without_auth_five_seconds_and_not_the_default():
    thanos = parsed(THANOS)["metric_sources"]["thanos"]
    assert (thanos.kind, thanos.header, thanos.token, thanos.timeout, thanos.default) == (
        "prometheus", None, None, timedelta(seconds=5), False)


def test_a_signal_defaults_to_its_name_as_label_count_worse_higher_and_a_fifth_tolerance():
    refunds = parsed(THANOS + REFUNDS)["signals"]["refunds"]
    assert (refunds.label, refunds.unit, refunds.worse, refunds.tolerance, refunds.threshold, refunds.watch) == (
        "refunds", "count", "higher", 0.2, None, WatchWhen())
    assert (refunds.baseline, refunds.tolerance) == (timedelta(days=7), 0.2)


def test_a_threshold_given_as_a_whole_number_is_read_as_a_float():
    threshold = parsed(signal_with("baseline", None) + "threshold = 5\n")["signals"]["refunds"].threshold
    assert threshold == 5.0 and isinstance(threshold, float)


@pytest.mark.parametrize(("text", "baseline"), [('"1h"', timedelta(hours=1)), ('"90m"', timedelta(minutes=90)),
                                                ('" 1d "', timedelta(days=1)), ('"30s"', timedelta(seconds=30))])
def test_a_baseline_is_any_whole_duration(text, baseline):
    assert parsed(signal_with("baseline", text))["signals"]["refunds"].baseline == baseline


@pytest.mark.parametrize("tolerance", ["0", "10", "0.5"])
def test_a_tolerance_from_zero_to_ten_is_allowed(tolerance):
    assert parsed(signal_with("tolerance", tolerance))["signals"]["refunds"].tolerance == float(tolerance)


def test_a_label_of_sixty_characters_is_allowed():
    assert parsed(signal_with("label", f'"{"x" * MAX_LABEL}"'))["signals"]["refunds"].label == "x" * MAX_LABEL


def test_the_watch_settings_default_to_ten_five_and_thirty_minutes():
    assert WatchSettings() == WatchSettings(verify_after=timedelta(minutes=10), window=timedelta(minutes=5),
                                            settle=timedelta(minutes=30))
    assert parsed("[watch]\n")["watch"] == WatchSettings()
    assert parsed('[watch]\nsettle = "45m"\n')["watch"] == WatchSettings(settle=timedelta(minutes=45))
    assert "watch" not in parsed("") and "signals" not in parsed("") and "metric_sources" not in parsed("")


# --- which source a signal reads from --------------------------------------------------------------------------

def test_with_exactly_one_source_a_signal_may_leave_it_out():
    assert parsed(signal_with("unit", '"count"'))["signals"]["refunds"].source == "thanos"


def test_with_two_sources_a_signal_must_name_one():
    assert refusal(PROM + signal_with("unit", '"count"')) == (
        "signals.refunds.source must name a metric source (configured: prom, thanos)")


def test_without_sources_a_signal_is_refused():
    assert refusal(changed(REFUNDS, "source", None)) == (
        "signals.refunds.source must name a metric source (none is configured in [metric_sources])")
    assert refusal(REFUNDS) == (
        "signals.refunds.source names 'thanos', which is not a metric source (none is configured in [metric_sources])")


def test_a_signal_naming_an_unknown_source_is_refused():
    assert refusal(PROM + THANOS + changed(REFUNDS, "source", '"graphite"')) == (
        "signals.refunds.source names 'graphite', which is not a metric source (configured: prom, thanos)")


# --- secrets -----------------------------------------------------------------------------------------------

def test_a_sources_token_env_not_set_in_the_environment_is_named():
    assert refusal(PROM, secrets={}) == (
        "metric_sources.prom.token_env names PROM_TOKEN, which is not set in the environment")
    assert refusal(PROM, secrets={"PROM_TOKEN": "  "}).startswith("metric_sources.prom.token_env names PROM_TOKEN")


def test_a_sources_token_is_not_read_when_no_environment_is_given():
    assert parsed(PROM, secrets=None)["metric_sources"]["prom"].token == ""


def test_a_token_env_must_look_like_a_variable_even_when_secrets_are_not_read():
    assert refusal(changed(PROM, "token_env", '"prom-token"'), secrets=None) == (
        "metric_sources.prom.token_env must name an environment variable (like \"UNLEASH_ADMIN_TOKEN\"),"
        " not 'prom-token'")


def test_a_token_stays_out_of_the_repr():
    assert "s3cret" not in repr(parsed(PROM)["metric_sources"]["prom"])


# --- every bad value is named by its key -----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    (changed(PROM, "colour", '"red"'), ("unknown key metric_sources.prom.'colour' (known keys: kind, url, header,"
                                       " token_env, timeout, default)")),
    (signal_with("colour", '"red"'), ("unknown key signals.refunds.'colour' (known keys: source, query, label, unit,"
                                     " worse, baseline, threshold, tolerance, watch)")),
    (signal_with("watch", '{ classes = ["action"], colours = ["red"] }'),
     "unknown key signals.refunds.watch.'colours' (known keys: classes, firebreaks, alerts)"),
    ('[watch]\ncolour = "red"\n', "unknown key watch.'colour' (known keys: verify_after, window, settle)"),
])
def test_an_unknown_key_in_each_table_is_named(text, problem):
    assert refusal(text) == problem


@pytest.mark.parametrize(("text", "problem"), [
    (changed(THANOS, "kind", '"graphite"'), "metric_sources.thanos.kind must be prometheus, not 'graphite'"),
    (changed(THANOS, "url", '"thanos.internal"'),
     "metric_sources.thanos.url must be an http(s) URL, not 'thanos.internal'"),
    (changed(THANOS, "url", None), "metric_sources.thanos.url must be an http(s) URL, not None"),
    (changed(THANOS, "url", '"ftp://thanos"'), "metric_sources.thanos.url must be an http(s) URL, not 'ftp://thanos'"),
    (changed(PROM, "token_env", None), ("metric_sources.prom: header and token_env go together (the header, and the"
                                       " variable holding its value)")),
    (changed(PROM, "header", None), ("metric_sources.prom: header and token_env go together (the header, and the"
                                    " variable holding its value)")),
    (changed(PROM, "header", '""'), "metric_sources.prom.header must be a non-empty string, not ''"),
    (changed(PROM, "default", '"yes"'), "metric_sources.prom.default must be true or false"),
    (changed(PROM, "timeout", '"3 sec"'),
     "metric_sources.prom.timeout: '3 sec' is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\""),
    (PROM + changed(THANOS, "default", "true"), "metric_sources: only one may be the default, not prom and thanos"),
    (THANOS.replace("thanos]", "Thanos]"),
     "[metric_sources.Thanos]: a name is 1-40 characters of a-z, 0-9, '_' and '-'"),
    ("metric_sources = 1\n", "[metric_sources] must be a table"),
    ("[metric_sources]\nthanos = 1\n", "[metric_sources.thanos] must be a table"),
])
def test_a_bad_metric_source_is_refused_naming_the_key(text, problem):
    assert refusal(text) == problem


BOTH = "signals.refunds has both baseline and threshold; keep one"
NEITHER = "signals.refunds needs a baseline (like \"7d\": the same window that long ago) or a threshold (a value)"


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("query", '"  "', "signals.refunds.query must be a non-empty string, not '  '"),
    ("query", None, "signals.refunds.query must be a non-empty string, not None"),
    ("query", "7", "signals.refunds.query must be a non-empty string, not 7"),
    ("query", f'"{"x" * (MAX_QUERY + 1)}"', "signals.refunds.query is longer than 4000 characters"),
    ("label", f'"{"x" * (MAX_LABEL + 1)}"', "signals.refunds.label is longer than 60 characters"),
    ("label", '" "', "signals.refunds.label must be a non-empty string, not ' '"),
    ("unit", '"holds"', ("signals.refunds.unit must be one of percent, count, per_second, seconds, usd, tokens,"
                        " not 'holds'")),
    ("worse", '"up"', "signals.refunds.worse must be \"higher\" or \"lower\", not 'up'"),
    ("threshold", "0.05", BOTH),
    ("baseline", None, NEITHER),
    ("baseline", '"7 days"', "signals.refunds.baseline must be a duration like \"7d\" or \"1h\", not '7 days'"),
    ("baseline", "7", "signals.refunds.baseline must be a duration like \"7d\" or \"1h\", not 7"),
    ("baseline", '"1w"', "signals.refunds.baseline must be a duration like \"7d\" or \"1h\", not '1w'"),
    ("baseline", '"0d"',
     "signals.refunds.baseline: '0d' is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\""),
    ("tolerance", "-0.1", "signals.refunds.tolerance is a fraction (0.2 for 20 %), from 0 to 10, not -0.1"),
    ("tolerance", "10.5", "signals.refunds.tolerance is a fraction (0.2 for 20 %), from 0 to 10, not 10.5"),
    ("tolerance", '"0.2"', "signals.refunds.tolerance must be a finite number, not '0.2'"),
    ("tolerance", "nan", "signals.refunds.tolerance must be a finite number, not nan"),
    ("watch", '"action"', "[signals.refunds.watch] must be a table"),
    ("watch", '{ classes = "action" }', "signals.refunds.watch.classes must be a list of names"),
    ("watch", "{ firebreaks = [1] }", "signals.refunds.watch.firebreaks must be a list of names"),
    ("watch", '{ alerts = [" "] }', "signals.refunds.watch.alerts must be a list of names"),
])
def test_a_bad_signal_is_refused_naming_the_key(key, value, problem):
    assert refusal(signal_with(key, value)) == problem


@pytest.mark.parametrize(("value", "shown"), [
    ('"high"', "'high'"), ("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("true", "True"), ("[1]", "[1]"),
])
def test_a_threshold_that_is_not_a_finite_number_is_refused(value, shown):
    assert refusal(signal_with("baseline", None) + f"threshold = {value}\n") == (
        f"signals.refunds.threshold must be a finite number, not {shown}")


@pytest.mark.parametrize(("text", "problem"), [
    ("[signals.Refunds]\nquery = \"x\"\nbaseline = \"7d\"\n",
     "[signals.Refunds]: a name is 1-40 characters of a-z, 0-9, '_' and '-'"),
    ("signals = []\n", "[signals] must be a table"),
    ('[signals]\nrefunds = "x"\n', "[signals.refunds] must be a table"),
])
def test_a_bad_signals_table_is_refused(text, problem):
    assert refusal(text + THANOS) == problem


@pytest.mark.parametrize(("text", "problem"), [
    ('[watch]\nwindow = "0m"\n', "watch.window: '0m' is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\""),
    ('[watch]\nverify_after = 10\n',
     "watch.verify_after: 10 is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\""),
    ('[watch]\nsettle = "half an hour"\n',
     "watch.settle: 'half an hour' is not a duration like \"30s\", \"15m\", \"1h\" or \"30d\""),
    ("watch = 5\n", "[watch] must be a table"),
    ('[watch]\nverify_after = "2m"\n', "watch.verify_after must be at least watch.window, or the mean after a pull"
                                       " would include minutes before it"),
])
def test_a_bad_watch_setting_is_refused_naming_the_key(text, problem):
    assert refusal(text) == problem


# --- through load_settings and firehouse doctor --------------------------------------------------------------

def write(tmp_path: Path, text: str) -> None:
    (tmp_path / "firehouse.toml").write_text(text, encoding="utf-8")


def test_load_settings_reads_sources_signals_and_watch_from_the_file(tmp_path: Path):
    write(tmp_path, FULL)
    settings = load_settings({**ENV, **SECRETS}, cwd=tmp_path)
    assert settings.metric_sources["prom"].token == "Bearer s3cret"
    assert set(settings.signals) == {"fraud-flag-rate", "refunds"}
    assert settings.watch.settle == timedelta(hours=1)


def test_load_settings_without_the_tables_watches_nothing_with_the_default_timings(tmp_path: Path):
    settings = load_settings(ENV, cwd=tmp_path)
    assert (settings.metric_sources, settings.signals, settings.watch) == ({}, {}, WatchSettings())


def test_load_settings_turns_a_bad_signal_into_one_line_naming_the_file(tmp_path: Path):
    write(tmp_path, signal_with("unit", '"holds"'))
    with pytest.raises(ConfigError) as refused:
        load_settings(ENV, cwd=tmp_path)
    assert str(refused.value) == ("firehouse.toml: signals.refunds.unit must be one of percent, count, per_second,"
                                  " seconds, usd, tokens, not 'holds'")


def test_load_settings_refuses_a_sources_missing_token_naming_the_file_and_the_variable(tmp_path: Path):
    write(tmp_path, PROM)
    with pytest.raises(ConfigError) as refused:
        load_settings(ENV, cwd=tmp_path)
    assert str(refused.value) == ("firehouse.toml: metric_sources.prom.token_env names PROM_TOKEN, which is not set"
                                  " in the environment")


def test_commands_that_never_read_metrics_do_not_need_the_token(tmp_path: Path):
    write(tmp_path, PROM)
    assert load_settings({}, cwd=tmp_path, slack=False).metric_sources["prom"].token == ""


def test_doctor_names_a_sources_unset_token_variable_once_and_reads_the_rest(tmp_path: Path):
    write(tmp_path, PROM + THANOS + REFUNDS)
    settings, problems = check_settings(ENV, cwd=tmp_path)
    assert problems == [("firehouse.toml: metric_sources.prom.token_env names PROM_TOKEN, which is not set in the"
                        " environment")]
    assert set(settings.metric_sources) == {"prom", "thanos"}
    assert settings.signals["refunds"].source == "thanos"


def test_doctor_finds_nothing_wrong_when_the_token_is_set(tmp_path: Path):
    write(tmp_path, FULL)
    settings, problems = check_settings({**ENV, **SECRETS}, cwd=tmp_path)
    assert problems == []
    assert settings.metric_sources["prom"].token == "Bearer s3cret"
