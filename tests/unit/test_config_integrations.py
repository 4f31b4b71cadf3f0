"""`[firebreaks.<name>]` and `[trace_sources.<name>]`: validated at start-up, secrets read from the environment."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from unit import tomltext

from firehouse.cli import EXIT_CONFIG, main
from firehouse.config import load_settings
from firehouse.config.integrations import DEFAULT_TIMEOUT, FirebreakSettings, TraceSourceSettings
from firehouse.domain.firebreaks import Configured
from firehouse.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
WHSEC = "whsec_ZmlyZWhvdXNlLXRlc3Qtc2lnbmluZy1zZWNyZXQ="
SECRETS = {"UNLEASH_ADMIN_TOKEN": "default:production.abc123", "ROLLBACK_WEBHOOK_SECRET": WHSEC,
           "LANGFUSE_AUTH": "Basic cGs6c2s="}

UNLEASH = """
[firebreaks.refund-agent-off]
kind = "kill-switch"
target = "refund-agent"
executor = "unleash"
url = "http://unleash.internal:4242"
token_env = "UNLEASH_ADMIN_TOKEN"
project = "support"
feature = "refund-agent"
environment = "production"
timeout = "3s"
"""
WEBHOOK = """
[firebreaks.prompt-rollback]
kind = "rollback"
rollback = "prompt"
target = "support-prompt"
executor = "webhook"
url = "https://deploy.internal/hooks/rollback-prompt"
secret_env = "ROLLBACK_WEBHOOK_SECRET"
"""
LANGFUSE = """
[trace_sources.langfuse]
url = "https://langfuse.internal/api/public/traces/{trace_id}"
header = "Authorization"
token_env = "LANGFUSE_AUTH"
timeout = "5s"
"""


parsed = partial(tomltext.parsed, secrets=SECRETS)
refusal = partial(tomltext.refusal, secrets=SECRETS)


def without(text: str, key: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith(f"{key} ="))


def changed(text: str, key: str, value: str) -> str:
    return "\n".join(f"{key} = {value}" if line.startswith(f"{key} =") else line for line in text.splitlines())


# --- good tables --------------------------------------------------------------------------------------------

def test_an_unleash_kill_switch_is_read_with_its_token_from_the_environment():
    (name, found), = parsed(UNLEASH)["firebreaks"].items()
    assert name == "refund-agent-off"
    assert found == FirebreakSettings(
        configured=Configured(name="refund-agent-off", kind="kill-switch", target="refund-agent", executor="unleash"),
        url="http://unleash.internal:4242", secret="default:production.abc123", timeout=timedelta(seconds=3),
        project="support", feature="refund-agent", environment="production", action="off")


def test_an_unleash_firebreak_defaults_to_the_default_project_turning_the_flag_off():
    found = parsed(without(without(UNLEASH, "project"), "timeout"))["firebreaks"]["refund-agent-off"]
    assert (found.project, found.action, found.timeout) == ("default", "off", DEFAULT_TIMEOUT)


def test_an_unleash_fallback_flag_can_be_turned_on():
    found = parsed(UNLEASH.replace('kind = "kill-switch"', 'kind = "fallback-human"\naction = "on"'))
    assert found["firebreaks"]["refund-agent-off"].action == "on"


def test_a_webhook_rollback_is_read_with_its_signing_secret():
    found = parsed(WEBHOOK)["firebreaks"]["prompt-rollback"]
    assert found.configured == Configured(name="prompt-rollback", kind="rollback", target="support-prompt",
                                          executor="webhook", rollback_of="prompt")
    assert (found.url, found.secret, found.timeout) == (
        "https://deploy.internal/hooks/rollback-prompt", WHSEC, DEFAULT_TIMEOUT)


def test_several_firebreaks_and_a_trace_source_are_read_together():
    found = parsed(UNLEASH + WEBHOOK + LANGFUSE)
    assert list(found["firebreaks"]) == ["refund-agent-off", "prompt-rollback"]
    assert found["trace_sources"] == {"langfuse": TraceSourceSettings(
        name="langfuse", url="https://langfuse.internal/api/public/traces/{trace_id}", header="Authorization",
        token="Basic cGs6c2s=", timeout=timedelta(seconds=5))}


def test_secrets_stay_out_of_the_repr():
    found = parsed(UNLEASH + LANGFUSE)
    assert "abc123" not in repr(found["firebreaks"]) and "cGs6c2s" not in repr(found["trace_sources"])


def test_a_secret_is_read_without_surrounding_whitespace():
    found = parsed(UNLEASH, secrets={**SECRETS, "UNLEASH_ADMIN_TOKEN": "  tok\n"})
    assert found["firebreaks"]["refund-agent-off"].secret == "tok"


def test_without_firebreaks_nothing_is_configured():
    assert "firebreaks" not in parsed("") and "trace_sources" not in parsed("")


# --- missing and unknown keys -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["kind", "target", "url", "token_env", "feature", "environment"])
def test_an_unleash_firebreak_missing_a_required_key_names_it(key):
    assert refusal(without(UNLEASH, key)) == (
        f"firebreaks.refund-agent-off lacks {key} (a unleash firebreak needs kind, target, url, token_env, feature,"
        " environment)")


@pytest.mark.parametrize("key", ["kind", "target", "url", "secret_env"])
def test_a_webhook_firebreak_missing_a_required_key_names_it(key):
    text = without(WEBHOOK, key)
    if key == "kind":
        text = without(text, "rollback")
    assert refusal(text).startswith(f"firebreaks.prompt-rollback lacks {key} (a webhook firebreak needs kind, target,"
                                    " url, secret_env)")


def test_an_empty_required_value_counts_as_missing():
    assert refusal(changed(UNLEASH, "feature", '""')).startswith("firebreaks.refund-agent-off lacks feature")


def test_with_several_keys_missing_the_error_still_lists_every_required_key():
    message = refusal(without(without(UNLEASH, "feature"), "environment"))
    assert "lacks feature" in message and "environment" in message


def test_a_missing_executor_is_named_with_the_choices():
    assert refusal(without(WEBHOOK, "executor")) == (
        "firebreaks.prompt-rollback.executor must be one of unleash, webhook, not None")


@pytest.mark.parametrize("executor", ["flagsmith", "Webhook", "launchdarkly"])
def test_an_unknown_executor_is_refused(executor):
    assert refusal(changed(WEBHOOK, "executor", f'"{executor}"')) == (
        f"firebreaks.prompt-rollback.executor must be one of unleash, webhook, not '{executor}'")


def test_an_unknown_key_is_named_with_the_known_ones():
    message = refusal(WEBHOOK + 'token = "oops-a-secret-in-the-file"\n')
    assert message.startswith("unknown key firebreaks.prompt-rollback.'token' (known keys: kind, target, executor,")
    assert "secret_env" in message


def test_a_key_of_the_other_executor_is_unknown():
    assert refusal(WEBHOOK + 'feature = "x"\n').startswith("unknown key firebreaks.prompt-rollback.'feature'")
    assert refusal(WEBHOOK + 'action = "on"\n').startswith("unknown key firebreaks.prompt-rollback.'action'")


# --- bad values ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["killswitch", "Rollback", "rollback-prompt"])
def test_a_bad_kind_is_refused_listing_the_kinds(kind):
    message = refusal(changed(UNLEASH, "kind", f'"{kind}"'))
    assert message == ("firebreaks.refund-agent-off.kind must be one of kill-switch, rollback, fallback-human, degrade,"
                       f" rate-limit, tool-disable, traffic-split, not '{kind}'")


def test_a_kind_that_is_not_text_is_refused():
    assert refusal(changed(UNLEASH, "kind", "3")) == "firebreaks.refund-agent-off.kind must be a non-empty string, not 3"


@pytest.mark.parametrize("url", ['"unleash.internal:4242"', '"ftp://unleash.internal"', '"http://"',
                                 '"http://has space"', "4242"])
def test_a_bad_url_is_refused(url):
    assert refusal(changed(UNLEASH, "url", url)).startswith("firebreaks.refund-agent-off.url must be an http(s) URL")


def test_a_bad_action_is_refused():
    assert refusal(UNLEASH + 'action = "toggle"\n') == (
        'firebreaks.refund-agent-off.action must be "off" (a kill switch) or "on" (a fallback flag)')


@pytest.mark.parametrize("rollback", ['"tools"', '"Prompt"'])
def test_a_rollback_of_something_unknown_is_refused(rollback):
    assert refusal(changed(WEBHOOK, "rollback", rollback)) == (
        'firebreaks.prompt-rollback.rollback goes with kind = "rollback" and is one of model, prompt, retrieval, config')


def test_rollback_on_a_firebreak_that_is_not_a_rollback_is_refused():
    text = changed(WEBHOOK, "kind", '"kill-switch"')
    assert refusal(text).startswith('firebreaks.prompt-rollback.rollback goes with kind = "rollback"')


@pytest.mark.parametrize("name", ["Refund", "refund agent", "-refund", "x" * 41, "réfund"])
def test_a_bad_firebreak_name_is_refused(name):
    text = UNLEASH.replace("[firebreaks.refund-agent-off]", f'[firebreaks."{name}"]')
    assert refusal(text) == f"[firebreaks.{name}]: a name is 1-40 characters of a-z, 0-9, '_' and '-'"


def test_firebreaks_that_are_not_a_table_are_refused():
    assert refusal('firebreaks = "refund-agent-off"\n') == "[firebreaks] must be a table"
    assert refusal("[firebreaks]\nrefund = 3\n") == "[firebreaks.refund] must be a table"


def test_a_bad_timeout_is_named():
    assert refusal(changed(UNLEASH, "timeout", '"3 seconds"')).startswith("firebreaks.refund-agent-off.timeout: ")


@pytest.mark.parametrize("variable", ['"unleash_token"', '"UNLEASH TOKEN"', '"$UNLEASH"', '"1TOKEN"', "3"])
def test_a_secret_variable_name_must_look_like_an_environment_variable(variable):
    message = refusal(changed(UNLEASH, "token_env", variable))
    assert message.startswith("firebreaks.refund-agent-off.token_env must name an environment variable")


def test_the_variable_name_is_checked_even_when_secrets_are_not_read():
    with pytest.raises(ValueError, match="token_env must name an environment variable"):
        parsed(changed(UNLEASH, "token_env", '"lower"'), secrets=None)


# --- secrets in the environment ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "key", "variable"), [
    (UNLEASH, "firebreaks.refund-agent-off.token_env", "UNLEASH_ADMIN_TOKEN"),
    (WEBHOOK, "firebreaks.prompt-rollback.secret_env", "ROLLBACK_WEBHOOK_SECRET"),
    (LANGFUSE, "trace_sources.langfuse.token_env", "LANGFUSE_AUTH"),
])
def test_a_secret_not_set_in_the_environment_is_named(text, key, variable):
    secrets = {k: v for k, v in SECRETS.items() if k != variable}
    assert refusal(text, secrets=secrets) == f"{key} names {variable}, which is not set in the environment"
    assert refusal(text, secrets={**SECRETS, variable: "   "}).endswith("which is not set in the environment")


def test_secrets_are_not_read_when_no_environment_is_given():
    found = parsed(UNLEASH + WEBHOOK + LANGFUSE, secrets=None)
    assert found["firebreaks"]["refund-agent-off"].secret == ""
    assert found["firebreaks"]["prompt-rollback"].secret == ""
    assert found["trace_sources"]["langfuse"].token == ""


@pytest.mark.parametrize("secret", ["c2VjcmV0", "whsec_", "whsec_not base64!", "whsec_abc", "WHSEC_c2VjcmV0",
                                    "sk_live_c2VjcmV0"])
def test_a_webhook_secret_that_is_not_a_standard_webhooks_signing_secret_is_refused(secret):
    assert refusal(WEBHOOK, secrets={**SECRETS, "ROLLBACK_WEBHOOK_SECRET": secret}) == (
        "firebreaks.prompt-rollback.secret_env names ROLLBACK_WEBHOOK_SECRET, which must hold a Standard Webhooks"
        " signing secret: whsec_ followed by base64")


def test_the_refusal_of_a_bad_signing_secret_does_not_quote_it():
    assert "hunter2" not in refusal(WEBHOOK, secrets={**SECRETS, "ROLLBACK_WEBHOOK_SECRET": "hunter2"})


# --- trace sources --------------------------------------------------------------------------------------------

def test_a_trace_source_without_auth_is_allowed():
    found = parsed('[trace_sources.phoenix]\nurl = "http://127.0.0.1:6006/v1/traces/{trace_id}"\n')
    assert found["trace_sources"]["phoenix"] == TraceSourceSettings(
        name="phoenix", url="http://127.0.0.1:6006/v1/traces/{trace_id}", header=None, token=None,
        timeout=timedelta(seconds=5))


def test_a_trace_source_url_must_say_where_the_trace_id_goes():
    text = LANGFUSE.replace("/{trace_id}", "/")
    assert refusal(text) == "trace_sources.langfuse.url must contain {trace_id}, where the trace id goes"


def test_a_trace_source_needs_a_url():
    assert refusal(without(LANGFUSE, "url")) == "trace_sources.langfuse.url must be an http(s) URL, not None"


@pytest.mark.parametrize("drop", ["header", "token_env"])
def test_a_trace_sources_header_and_token_env_go_together(drop):
    assert refusal(without(LANGFUSE, drop)) == (
        "trace_sources.langfuse: header and token_env go together (the header, and the variable holding its value)")


def test_a_trace_source_with_an_unknown_key_is_refused():
    assert refusal(LANGFUSE + 'token = "pk:sk"\n').startswith("unknown key trace_sources.langfuse.'token'")


def test_a_trace_source_timeout_is_read():
    found = parsed(changed(LANGFUSE, "timeout", '"2m"'))
    assert found["trace_sources"]["langfuse"].timeout == timedelta(minutes=2)


# --- the snapshot cap ------------------------------------------------------------------------------------------

def test_the_snapshot_cap_is_read():
    assert parsed("snapshot_max_bytes = 5000\n")["snapshot_max_bytes"] == 5000


@pytest.mark.parametrize("value", ["999", "16000001", "true", '"1MB"', "1e6"])
def test_a_snapshot_cap_out_of_range_is_refused(value):
    assert refusal(f"snapshot_max_bytes = {value}\n").startswith(
        "snapshot_max_bytes must be a whole number from 1000 to 16000000")


# --- end to end through load_settings and the command line --------------------------------------------------

def write(tmp_path: Path, text: str) -> None:
    (tmp_path / "firehouse.toml").write_text(text, encoding="utf-8")


def test_load_settings_reads_firebreaks_trace_sources_and_their_secrets(tmp_path: Path):
    write(tmp_path, "snapshot_max_bytes = 20000\n" + UNLEASH + WEBHOOK + LANGFUSE)
    settings = load_settings({**ENV, **SECRETS}, cwd=tmp_path)
    assert settings.snapshot_max_bytes == 20000
    assert settings.firebreaks["refund-agent-off"].secret == "default:production.abc123"
    assert settings.firebreaks["prompt-rollback"].configured.rollback_of == "prompt"
    assert settings.trace_sources["langfuse"].token == "Basic cGs6c2s="


def test_load_settings_defaults_to_no_firebreaks_and_a_one_megabyte_cap(tmp_path: Path):
    settings = load_settings(ENV, cwd=tmp_path)
    assert settings.firebreaks == {} and settings.trace_sources == {} and settings.snapshot_max_bytes == 1_000_000


def test_load_settings_refuses_a_missing_secret_naming_the_file_and_the_variable(tmp_path: Path):
    write(tmp_path, UNLEASH)
    with pytest.raises(ConfigError) as refused:
        load_settings(ENV, cwd=tmp_path)
    assert str(refused.value) == ("firehouse.toml: firebreaks.refund-agent-off.token_env names UNLEASH_ADMIN_TOKEN,"
                                  " which is not set in the environment")


def test_commands_that_never_pull_do_not_need_the_secrets(tmp_path: Path):
    write(tmp_path, UNLEASH + WEBHOOK + LANGFUSE)
    settings = load_settings({}, cwd=tmp_path, slack=False)
    assert set(settings.firebreaks) == {"refund-agent-off", "prompt-rollback"}
    assert settings.firebreaks["refund-agent-off"].secret == ""


def test_commands_that_never_pull_still_refuse_a_bad_table(tmp_path: Path):
    write(tmp_path, changed(UNLEASH, "kind", '"nope"'))
    with pytest.raises(ConfigError, match=r"^firehouse.toml: firebreaks.refund-agent-off.kind must be one of"):
        load_settings({}, cwd=tmp_path, slack=False)


def test_firehouse_serve_stops_at_start_up_with_one_line_naming_the_missing_secret(tmp_path, monkeypatch, capsys):
    write(tmp_path, WEBHOOK)
    monkeypatch.chdir(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_APP_TOKEN", "SLACK_API_URL", "FIREHOUSE_CONFIG", "FIREHOUSE_TEMPLATES",
                 "FIREHOUSE_DATABASE_URL", "ROLLBACK_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert main(["serve", "--port", "0"]) == EXIT_CONFIG
    assert capsys.readouterr().err == (
        "firehouse: firehouse.toml: firebreaks.prompt-rollback.secret_env names ROLLBACK_WEBHOOK_SECRET,"
        " which is not set in the environment\n")
