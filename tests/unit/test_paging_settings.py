"""`[pagers.<name>]`, `[[routing]]` and `[[events]]`: validated at start-up, each bad value named by its key."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from unit import tomltext

from firehouse.config import check_settings, load_settings
from firehouse.config.paging import PAGERDUTY_URL, PagerSettings, Subscription
from firehouse.domain.routing import Rule
from firehouse.errors import ConfigError

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
HOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRETS = {"PD_KEY": " 0123456789abcdef0123456789abcdef ", "PD_WEBHOOK": "pd-signing-secret",
           "HOOK_SECRET": HOOK_SECRET, "TRACKER_SECRET": HOOK_SECRET}

PAGERDUTY = """
[pagers.ai-platform]
kind = "pagerduty"
routing_key_env = "PD_KEY"
webhook_secret_env = "PD_WEBHOOK"
change_events = true
"""
ALERTMANAGER = """
[pagers.alerts]
kind = "alertmanager"
url = "http://alertmanager.internal:9093/"
timeout = "3s"
"""
WEBHOOK = """
[pagers.hook]
kind = "webhook"
url = "https://hooks.internal/page"
secret_env = "HOOK_SECRET"
"""
PAGERS = PAGERDUTY + ALERTMANAGER + WEBHOOK
ROUTING = """
[[routing]]
name = "legal"
match = { class = ["data", "compliance"] }
invite = ["S0LEGAL", "U0COUNSEL"]
announce = ["C0LEGALINC"]

[[routing]]
match = { severity = "SEV1", cause = ["model", "prompt"] }
page = "ai-platform"
"""
EVENTS = """
[[events]]
name = "tracker"
url = "https://tracker.internal/firehouse"
secret_env = "TRACKER_SECRET"
types = ["incident.*", "firebreak.pulled"]
private = true
timeout = "5s"
"""


parsed = partial(tomltext.parsed, secrets=SECRETS)
refusal = partial(tomltext.refusal, secrets=SECRETS)
changed = tomltext.changed


def rule(**keys: str) -> str:
    """One `[[routing]]` table of these keys (values as TOML), over the three pagers."""
    return PAGERS + "\n[[routing]]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())


# --- pagers ------------------------------------------------------------------------------------------------------

def test_each_kind_of_pager_reads_as_its_settings():
    assert parsed(PAGERS)["pagers"] == {
        "ai-platform": PagerSettings(name="ai-platform", kind="pagerduty", url=PAGERDUTY_URL,
                                     secret="0123456789abcdef0123456789abcdef", webhook_secret="pd-signing-secret",
                                     change_events=True),
        "alerts": PagerSettings(name="alerts", kind="alertmanager", url="http://alertmanager.internal:9093",
                                timeout=timedelta(seconds=3)),
        "hook": PagerSettings(name="hook", kind="webhook", url="https://hooks.internal/page", secret=HOOK_SECRET)}


def test_pagerduty_defaults_to_its_us_service_without_webhooks_or_change_events():
    pager = parsed(changed(changed(PAGERDUTY, "webhook_secret_env", None), "change_events", None))["pagers"][
        "ai-platform"]
    assert (pager.url, pager.webhook_secret, pager.change_events, pager.timeout) == (
        "https://events.pagerduty.com", "", False, timedelta(seconds=10))


def test_pagerduty_takes_another_region_or_a_stand_in():
    pager = parsed(changed(PAGERDUTY, "url", '"https://events.eu.pagerduty.com/"'))["pagers"]["ai-platform"]
    assert pager.url == "https://events.eu.pagerduty.com"


@pytest.mark.parametrize(("text", "problem"), [
    (changed(PAGERDUTY, "routing_key_env", None),
     "pagers.ai-platform lacks routing_key_env (a pagerduty pager needs routing_key_env)"),
    (changed(ALERTMANAGER, "url", None), "pagers.alerts lacks url (a alertmanager pager needs url)"),
    (changed(WEBHOOK, "secret_env", None), "pagers.hook lacks secret_env (a webhook pager needs url, secret_env)"),
    (changed(WEBHOOK, "url", None), "pagers.hook lacks url (a webhook pager needs url, secret_env)"),
])
def test_each_kind_names_the_key_it_lacks(text, problem):
    assert refusal(text) == problem


@pytest.mark.parametrize(("text", "problem"), [
    (changed(ALERTMANAGER, "change_events", "true"),
     "unknown key pagers.alerts.'change_events' (known keys: kind, timeout, url)"),
    (changed(WEBHOOK, "routing_key_env", '"PD_KEY"'),
     "unknown key pagers.hook.'routing_key_env' (known keys: kind, timeout, url, secret_env)"),
    (changed(PAGERDUTY, "token_env", '"PD_KEY"'),
     ("unknown key pagers.ai-platform.'token_env' (known keys: kind, timeout, routing_key_env, url,"
     " webhook_secret_env, change_events)")),
])
def test_a_key_another_kind_takes_is_unknown_here(text, problem):
    assert refusal(text) == problem


@pytest.mark.parametrize(("kind", "shown"), [('"opsgenie"', "'opsgenie'"), (None, "None")])
def test_an_unknown_kind_lists_the_kinds(kind, shown):
    assert refusal(changed(ALERTMANAGER, "kind", kind)) == (
        f"pagers.alerts.kind must be one of pagerduty, alertmanager, webhook, not {shown}")


@pytest.mark.parametrize("url", ['"alertmanager:9093"', '"ftp://alertmanager.internal"', "9093"])
def test_a_pager_url_must_be_http(url):
    assert refusal(changed(ALERTMANAGER, "url", url)).startswith("pagers.alerts.url must be an http(s) URL, not ")


def test_a_pagers_name_is_checked():
    assert refusal(PAGERDUTY.replace("ai-platform", '"AI Platform"')) == (
        "[pagers.AI Platform]: a name is 1-40 characters of a-z, 0-9, '_' and '-'")


@pytest.mark.parametrize(("text", "variable", "key"), [
    (PAGERDUTY, "PD_KEY", "pagers.ai-platform.routing_key_env"),
    (PAGERDUTY, "PD_WEBHOOK", "pagers.ai-platform.webhook_secret_env"),
    (WEBHOOK, "HOOK_SECRET", "pagers.hook.secret_env"),
])
def test_a_missing_secret_names_its_variable(text, variable, key):
    secrets = {name: value for name, value in SECRETS.items() if name != variable}
    assert refusal(text, secrets=secrets) == f"{key} names {variable}, which is not set in the environment"


def test_a_secret_variable_must_look_like_one():
    assert refusal(changed(PAGERDUTY, "routing_key_env", '"pd-key"')) == (
        "pagers.ai-platform.routing_key_env must name an environment variable (like \"UNLEASH_ADMIN_TOKEN\"),"
        " not 'pd-key'")


@pytest.mark.parametrize("secret", ["s3cret", "whsec_", "whsec_not base64!"])
def test_a_webhook_pagers_secret_must_be_a_standard_webhooks_secret(secret):
    assert refusal(WEBHOOK, secrets={**SECRETS, "HOOK_SECRET": secret}) == (
        "pagers.hook.secret_env names HOOK_SECRET, which must hold a Standard Webhooks signing secret: whsec_"
        " followed by base64")


def test_secrets_are_not_read_when_no_environment_is_given():
    pagers = parsed(PAGERS, secrets=None)["pagers"]
    assert (pagers["ai-platform"].secret, pagers["ai-platform"].webhook_secret, pagers["hook"].secret) == ("", "", "")


@pytest.mark.parametrize("value", ['"true"', "1", '"yes"'])
def test_change_events_is_true_or_false(value):
    assert refusal(changed(PAGERDUTY, "change_events", value)) == (
        "pagers.ai-platform.change_events must be true or false")


def test_secrets_stay_out_of_the_repr():
    shown = repr(parsed(PAGERS)["pagers"])
    assert "0123456789abcdef" not in shown and "pd-signing-secret" not in shown and HOOK_SECRET not in shown


# --- routing -----------------------------------------------------------------------------------------------------

def test_routing_rules_read_in_the_files_order_with_default_names():
    rules = parsed(PAGERS + ROUTING)["routing"]
    assert rules == (
        Rule(name="legal", match={"class": ("data", "compliance")}, invite=("S0LEGAL", "U0COUNSEL"),
             announce=("C0LEGALINC",)),
        Rule(name="rule 2", match={"severity": ("sev1",), "cause": ("model", "prompt")}, page=("ai-platform",),
             key=rules[1].key))
    assert rules[1].key.startswith("rule:")


def test_a_rule_without_match_matches_every_incident():
    (found,) = parsed(rule(invite='"S0ONCALL"'))["routing"]
    assert (found.name, found.match, found.why()) == ("rule 1", {}, "every incident")


def test_a_rule_names_each_pager_once():
    (found,) = parsed(rule(page='["alerts", "hook", "alerts"]'))["routing"]
    assert found.page == ("alerts", "hook")


def test_a_rule_naming_an_unknown_pager_lists_the_pagers():
    assert refusal(rule(page='["alerts", "opsgenie"]')) == (
        "routing[1].page names 'opsgenie', which is not one of the [pagers] (ai-platform, alerts, hook)")


def test_a_rule_paging_without_pagers_says_none_are_configured():
    assert refusal('[[routing]]\npage = "ai-platform"\n') == (
        "routing[1].page names 'ai-platform', which is not one of the [pagers] (none configured)")


@pytest.mark.parametrize(("match", "problem"), [
    ('{ class = "leak" }', "routing[1].match.class: 'leak' is not one of output, action, data, cost, gate, compliance"),
    ('{ severity = ["sev1", "sev4"] }', "routing[1].match.severity: 'sev4' is not one of sev1, sev2, sev3"),
    ('{ cause = "gremlins" }', ("routing[1].match.cause: 'gremlins' is not one of prompt, model, retrieval, config,"
                               " tool-loop, input-drift, injection, eval-drift, unknown")),
    ('{ team = "ai" }', "unknown key routing[1].match.'team' (known keys: class, severity, cause)"),
    ('{ class = [] }', "routing[1].match.class must be a string or a list of strings"),
    ('{ class = ["data", 3] }', "routing[1].match.class must be a string or a list of strings"),
    ('"data"', "[routing[1].match] must be a table"),
])
def test_a_match_naming_what_is_not_there_is_refused(match, problem):
    assert refusal(rule(match=match, invite='"S0LEGAL"')) == problem


def test_a_match_on_a_deployments_own_class_is_accepted():
    text = rule(match='{ class = "billing" }', invite='"S0BILLING"') + (
        '\n[classes.billing]\ndescription = "Invoices wrong"\nlanes = ["internal"]\n')
    (found,) = parsed(text)["routing"]
    assert found.match == {"class": ("billing",)}


@pytest.mark.parametrize(("keys", "problem"), [
    ({"invite": '["alice"]'}, "routing[1].invite: 'alice' is not a user id (U…) or user group id (S…)"),
    ({"invite": '["C0LEGALINC"]'}, "routing[1].invite: 'C0LEGALINC' is not a user id (U…) or user group id (S…)"),
    ({"announce": '["#legal-incidents"]'},
     "routing[1].announce: '#legal-incidents' is not a channel id like \"C0123456789\""),
    ({"announce": '["U0COUNSEL"]'}, "routing[1].announce: 'U0COUNSEL' is not a channel id like \"C0123456789\""),
])
def test_invite_and_announce_take_ids(keys, problem):
    assert refusal(rule(**keys)) == problem


def test_a_rule_that_does_nothing_is_refused():
    assert refusal(rule(match='{ class = "data" }')) == "routing[1] does nothing: give it invite, announce or page"
    assert refusal(rule(invite="[]", announce="[]", page="[]")) == (
        "routing[1] does nothing: give it invite, announce or page")


def test_two_rules_of_one_name_are_refused():
    text = rule(name='"legal"', invite='"S0LEGAL"') + '\n[[routing]]\nname = "legal"\npage = "alerts"\n'
    assert refusal(text) == "routing[2].name 'legal' is already another rule's"


def test_a_named_rule_may_not_take_another_rules_default_name():
    text = rule(invite='"S0LEGAL"') + '\n[[routing]]\nname = "rule 1"\npage = "alerts"\n'
    assert refusal(text) == "routing[2].name 'rule 1' is already another rule's"


def test_an_unknown_key_in_a_rule_is_named():
    assert refusal(rule(invite='"S0LEGAL"', escalate="true")) == (
        "unknown key routing[1].'escalate' (known keys: name, match, invite, announce, page)")


def test_routing_must_be_a_list_of_tables():
    assert refusal('[routing]\ninvite = "S0LEGAL"\n') == "routing must be a list of tables: [[routing]]"


# --- events ------------------------------------------------------------------------------------------------------

def test_a_subscription_reads_with_its_types_privacy_and_timeout():
    assert parsed(EVENTS)["events"] == (Subscription(
        name="tracker", url="https://tracker.internal/firehouse", secret=HOOK_SECRET,
        types=("incident.*", "firebreak.pulled"), private=True, timeout=timedelta(seconds=5)),)


def test_a_subscription_defaults_to_every_type_redacted_in_ten_seconds():
    (found,) = parsed(changed(changed(changed(EVENTS, "types", None), "private", None), "timeout", None))["events"]
    assert (found.types, found.private, found.timeout) == (("*",), False, timedelta(seconds=10))
    assert found.wants("incident.declared") and found.wants("drill.ended")


def test_a_subscription_wants_what_its_patterns_match():
    (found,) = parsed(EVENTS)["events"]
    assert [found.wants(t) for t in ("incident.resolved", "firebreak.pulled", "firebreak.lifted", "notice.sent")] == [
        True, True, False, False]


@pytest.mark.parametrize("key", ["name", "url", "secret_env"])
def test_a_subscription_names_what_it_lacks(key):
    assert refusal(changed(EVENTS, key, None)) == (
        f"events[1] lacks {key} (a subscription needs name, url and secret_env)")


@pytest.mark.parametrize(("types", "pattern"), [
    ('["incident.exploded"]', "incident.exploded"), ('"Incident.*"', "Incident.*"),
    ('["incident.*", "pager.*"]', "pager.*"), ('["incident.declared.*"]', "incident.declared.*"),
])
def test_a_types_pattern_must_match_a_known_type(types, pattern):
    assert refusal(changed(EVENTS, "types", types)) == (
        f"events[1].types: {pattern!r} is not an event type or a pattern of them, with * for any part (like"
        " incident.*, firebreak.pulled or *)")


@pytest.mark.parametrize("types", ['"*"', '["*.done"]', '["drill.*", "snapshot.frozen"]', '"notice.*"'])
def test_patterns_matching_known_types_are_accepted(types):
    assert parsed(changed(EVENTS, "types", types))["events"][0].types


def test_types_must_be_strings():
    assert refusal(changed(EVENTS, "types", "[]")) == "events[1].types must be a string or a list of strings"


@pytest.mark.parametrize("value", ['"yes"', "1"])
def test_private_is_true_or_false(value):
    assert refusal(changed(EVENTS, "private", value)) == "events[1].private must be true or false"


def test_a_subscriptions_secret_must_be_set_and_a_standard_webhooks_secret():
    assert refusal(EVENTS, secrets={}) == (
        "events[1].secret_env names TRACKER_SECRET, which is not set in the environment")
    assert refusal(EVENTS, secrets={"TRACKER_SECRET": "hunter2"}) == (
        "events[1].secret_env names TRACKER_SECRET, which must hold a Standard Webhooks signing secret: whsec_"
        " followed by base64")


def test_two_subscriptions_of_one_name_are_refused():
    assert refusal(EVENTS + EVENTS) == "events[2].name 'tracker' is already another subscription's"


@pytest.mark.parametrize("name", ['"Tracker"', '"a tracker"', '""', f'"{"x" * 41}"'])
def test_a_subscriptions_name_is_checked(name):
    assert refusal(changed(EVENTS, "name", name)).startswith("events[1].name")


def test_an_unknown_key_in_a_subscription_is_named_and_the_url_checked():
    assert refusal(changed(EVENTS, "headers", '"x"')) == (
        "unknown key events[1].'headers' (known keys: name, url, secret_env, types, private, timeout)")
    assert refusal(changed(EVENTS, "url", '"tracker.internal"')) == (
        "events[1].url must be an http(s) URL, not 'tracker.internal'")


def test_events_must_be_a_list_of_tables():
    assert refusal('[events]\nname = "tracker"\n') == "events must be a list of tables: [[events]]"


def test_a_subscriptions_secret_stays_out_of_the_repr():
    assert HOOK_SECRET not in repr(parsed(EVENTS)["events"])


# --- through load_settings and firehouse doctor ----------------------------------------------------------------

def write(tmp_path: Path, text: str) -> None:
    (tmp_path / "firehouse.toml").write_text(text, encoding="utf-8")


def test_load_settings_reads_pagers_routing_and_events(tmp_path: Path):
    write(tmp_path, PAGERS + ROUTING + EVENTS)
    settings = load_settings({**ENV, **SECRETS}, cwd=tmp_path)
    assert set(settings.pagers) == {"ai-platform", "alerts", "hook"}
    assert [r.name for r in settings.routing] == ["legal", "rule 2"]
    assert [s.name for s in settings.events] == ["tracker"]


def test_without_the_tables_nobody_is_routed_paged_or_told(tmp_path: Path):
    settings = load_settings(ENV, cwd=tmp_path)
    assert (settings.pagers, settings.routing, settings.events) == ({}, (), ())


def test_load_settings_names_the_file_and_the_unset_variable(tmp_path: Path):
    write(tmp_path, PAGERDUTY)
    with pytest.raises(ConfigError) as refused:
        load_settings(ENV, cwd=tmp_path)
    assert str(refused.value) == ("firehouse.toml: pagers.ai-platform.routing_key_env names PD_KEY, which is not set"
                                  " in the environment")


def test_commands_that_never_page_do_not_need_the_secrets(tmp_path: Path):
    write(tmp_path, PAGERS + ROUTING + EVENTS)
    settings = load_settings({}, cwd=tmp_path, slack=False)
    assert settings.pagers["ai-platform"].secret == "" and settings.events[0].secret == ""


def test_doctor_names_every_unset_variable_once_and_reads_the_rest(tmp_path: Path):
    write(tmp_path, PAGERS + ROUTING + EVENTS)
    settings, problems = check_settings({**ENV, "HOOK_SECRET": HOOK_SECRET}, cwd=tmp_path)
    assert problems == [f"firehouse.toml: {where} names {variable}, which is not set in the environment"
                        for where, variable in (("pagers.ai-platform.routing_key_env", "PD_KEY"),
                                                ("pagers.ai-platform.webhook_secret_env", "PD_WEBHOOK"),
                                                ("events[1].secret_env", "TRACKER_SECRET"))]
    assert set(settings.pagers) == {"ai-platform", "alerts", "hook"} and len(settings.routing) == 2


def test_an_unnamed_rule_is_remembered_by_what_it_says_so_a_rule_put_above_it_changes_nothing():
    before = parsed(PAGERS + ROUTING)["routing"]
    inserted = PAGERS + ROUTING.replace("[[routing]]\nname", '[[routing]]\nmatch = { class = ["cost"] }\n'
                                        'invite = ["U0FINANCE"]\n\n[[routing]]\nname', 1)
    after = parsed(inserted)["routing"]
    assert [r.name for r in after] == ["rule 1", "legal", "rule 3"]
    assert after[2].remembered_as == before[1].remembered_as and after[2].name != before[1].name
    assert after[1].remembered_as == "legal"
    assert after[0].remembered_as != before[1].remembered_as


def test_a_rule_name_is_at_most_sixty_characters():
    assert refusal(PAGERS + ROUTING.replace('name = "legal"', f'name = "{"l" * 61}"')) == (
        "routing[1].name is at most 60 characters")
