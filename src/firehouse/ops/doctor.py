"""`firehouse doctor`: is this deployment ready to serve? One line per check, exit 1 if any fails.

It reads what `serve` would read and asks what `serve` would ask, but changes nothing: every settings
problem is listed at once (not only the first), Slack is asked who the token is (`auth.test`), which
scopes were granted (its `x-oauth-scopes` header) and whether the stakeholder channel exists with the
bot in it; the database must already exist at this release's schema (a missing SQLite file is a failed
check, never a new file); the templates are rendered as `templates check` does; each integration's
base URL must answer HTTP at all (any status will do: it is reachable); and each metric source must answer
a query, and each configured signal's query is run once, instantly, to say what came back (no data is a
warning: the metric may simply be quiet); each pager and `[[events]]` receiver must answer, and each user group a
routing rule invites must exist (`doctor_paging`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from firehouse.config import Settings, check_settings
from firehouse.domain.signals import Series, Signal, combine
from firehouse.errors import ConfigError, MetricFailure
from firehouse.ops.check import REACH_TIMEOUT, SLACK_TIMEOUT, Check, base_url, reach, reason
from firehouse.ops.doctor_evidence import evidence_checks
from firehouse.ops.doctor_paging import paging_checks
from firehouse.ops.doctor_statuspage import status_page_checks

# The bot scopes manifest.yml asks for (a test keeps the two in step): what Firehouse calls needs them all.
BOT_SCOPES = ("commands", "chat:write", "channels:manage", "groups:write", "channels:join", "channels:read",
              "groups:read", "channels:history", "groups:history", "reactions:read", "users:read",
              "usergroups:read", "files:write")


def doctor(environ: Mapping[str, str], *, cwd: Path, out: TextIO = sys.stdout) -> int:
    """Run every check, print one line each and a summary; 0 when none failed, else 1."""
    checks = []
    for check in run_checks(environ, cwd=cwd):
        print(check, file=out, flush=True)
        checks.append(check)
    failed = sum(check.ok is False for check in checks)
    skipped = sum(check.ok is None for check in checks)
    warned = sum(check.warning for check in checks)
    tally = f"{failed} of {len(checks)} checks failed" if failed else f"{len(checks) - skipped} checks passed"
    tally += f", {skipped} skipped" if skipped else ""
    tally += f", {warned} warning{'' if warned == 1 else 's'}" if warned else ""
    print(f"firehouse doctor: {tally}", file=out)
    return 1 if failed else 0


def run_checks(environ: Mapping[str, str], *, cwd: Path) -> Iterator[Check]:

    settings, problems = check_settings(environ, cwd=cwd)
    if problems:
        yield from (Check("settings", False, problem) for problem in problems)
    else:
        mode = "Socket Mode" if settings.socket_mode else "HTTP mode"
        yield Check("settings", True, f"complete ({mode})")
    yield from slack_checks(settings)
    yield database_check(settings)
    yield templates_check(settings)
    yield drills_check(settings)
    yield from integration_checks(settings)
    yield from signal_checks(settings)
    yield from alerts_checks(settings)
    yield from paging_checks(settings, environ=environ)
    yield from status_page_checks(settings, environ=environ)
    yield from evidence_checks(settings)


# --- Slack ------------------------------------------------------------------------------------------------


def slack_checks(settings: Settings) -> Iterator[Check]:
    """The bot token (auth.test), the app token in Socket Mode, the granted scopes, the stakeholder channel."""
    if not settings.bot_token:
        yield Check("slack bot token", None, "needs SLACK_BOT_TOKEN (see settings)")
        yield Check("slack scopes", None, "needs a bot token")
        yield Check("stakeholder channel", None, "needs a bot token")
        return
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT)
    try:
        answer = client.auth_test()
    except SlackApiError as err:
        yield Check("slack bot token", False, f"Slack at {settings.api_url} refused SLACK_BOT_TOKEN:"
                                              f" {err.response.get('error')}")
        return
    except (SlackClientError, OSError) as err:
        yield Check("slack bot token", False, f"cannot reach Slack at {settings.api_url}: {reason(err)}")
        return
    yield Check("slack bot token", True, f"bot {answer.get('user')} ({answer.get('user_id')}) in"
                                         f" {answer.get('team')} ({answer.get('team_id')})")
    if settings.app_token:
        yield _app_token_check(settings)
    yield _scopes_check(answer.headers)
    yield _stakeholder_check(client, settings.stakeholder_channel)


def _app_token_check(settings: Settings) -> Check:
    """Socket Mode: whether SLACK_APP_TOKEN may open a connection (the URL is asked for, never used)."""
    try:
        WebClient(base_url=settings.api_url, timeout=SLACK_TIMEOUT).apps_connections_open(
            app_token=settings.app_token)
    except SlackApiError as err:
        return Check("slack app token", False, f"Slack refused SLACK_APP_TOKEN: {err.response.get('error')}"
                                               " (an app-level token with connections:write)")
    except (SlackClientError, OSError) as err:
        return Check("slack app token", False, f"cannot reach Slack: {reason(err)}")
    return Check("slack app token", True, "Socket Mode connections open")


def _scopes_check(headers: Mapping[str, object]) -> Check:
    granted_header = next((value for name, value in headers.items() if name.lower() == "x-oauth-scopes"), None)
    if isinstance(granted_header, list):
        granted_header = ",".join(granted_header)
    if granted_header is None:
        return Check("slack scopes", None, "Slack did not say which scopes were granted (no x-oauth-scopes)")
    granted = {scope.strip() for scope in str(granted_header).split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        return Check("slack scopes", False, f"not granted: {', '.join(missing)} (add them from manifest.yml under"
                                            " OAuth & Permissions, then reinstall the app)")
    return Check("slack scopes", True, f"all {len(BOT_SCOPES)} bot scopes of manifest.yml granted")


def _stakeholder_check(client: WebClient, channel: str | None) -> Check:
    name = "stakeholder channel"
    if not channel:
        return Check(name, None, "not configured (stakeholder_channel in the TOML file)")
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as err:
        return Check(name, False, f"{channel}: Slack says {err.response.get('error')} (is the id right, and is"
                                  " the bot invited? /invite @firehouse)")
    except (SlackClientError, OSError) as err:
        return Check(name, False, f"{channel}: cannot ask Slack: {reason(err)}")
    label = f"#{info.get('name')} ({channel})"
    if info.get("is_archived"):
        return Check(name, False, f"{label} is archived")
    if info.get("is_member"):
        return Check(name, True, f"{label}, the bot is a member")
    if not info.get("is_private"):
        return Check(name, True, f"{label} is public: the bot joins it with its first post")
    return Check(name, False, f"{label}: the bot is not a member; /invite @firehouse there")


# --- the store, the templates, the integrations -----------------------------------------------------------


def database_check(settings: Settings) -> Check:
    """Reachable and at this release's schema; a missing SQLite file fails (opening it would create it)."""
    from firehouse.store import make_engine, migrate
    from firehouse.store.database import sqlite_file

    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        return Check("database", False, f"no database at {path.resolve()}: `firehouse db upgrade` creates it"
                                        " (so does `firehouse serve`)")
    try:
        engine = make_engine(settings.database_url, upgrade=False)
        try:
            revision = migrate.current(engine)
        finally:
            engine.dispose()
    except ConfigError as err:
        return Check("database", False, str(err))
    except Exception as err:  # a driver's own error: the line says what, never a traceback
        return Check("database", False, f"cannot read the schema revision: {reason(err)}")
    where = str(path.resolve()) if path is not None else engine.url.render_as_string(hide_password=True)
    if not revision.up_to_date:
        return Check("database", False, f"{where}: {revision}, this release needs revision {revision.head}:"
                                        " run `firehouse db upgrade` (or start `firehouse serve`)")
    return Check("database", True, f"{where}: {revision} (current)")


def templates_check(settings: Settings) -> Check:
    from firehouse.comms.check import check_templates
    from firehouse.comms.templates import TemplateCatalogue

    try:
        catalogue = TemplateCatalogue.with_override(settings.templates_dir)
        problems, renders = check_templates(catalogue, settings.catalog)
    except Exception as err:  # a broken override folder: reported, not raised
        return Check("templates", False, reason(err))
    if problems:
        more = f" (and {len(problems) - 1} more: `firehouse templates check`)" if len(problems) > 1 else ""
        return Check("templates", False, f"{problems[0]}{more}")
    return Check("templates", True, f"{len(catalogue.names())} templates, {renders} renders")


def drills_check(settings: Settings) -> Check:
    """Every drill scenario reads, as `firehouse drills check` reads them."""
    from firehouse.config.scenarios import load

    scenarios = load(settings.drills_dir, catalog=settings.catalog)
    if scenarios.problems:
        first = next(iter(scenarios.problems.values()))
        more = f" (and {len(scenarios.problems) - 1} more: `firehouse drills check`)" if len(scenarios.problems) > 1 \
            else ""
        return Check("drills", False, f"{first}{more}")
    return Check("drills", True, f"{len(scenarios.found)} scenarios")


def alerts_checks(settings: Settings) -> Iterator[Check]:
    """Alert intake, when FIREHOUSE_ALERT_TOKEN switches it on: every captain it may name is a person Slack knows."""
    from firehouse.domain.times import span

    alerts = settings.alerts
    if not alerts.enabled:
        return
    captains = list(dict.fromkeys([alerts.captain, *(rule.captain for rule in alerts.rules if rule.captain)]))
    if not settings.bot_token:
        yield Check("alerts", None, "needs a bot token to ask Slack about the captains")
        return
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT)
    for captain in captains:
        try:
            person = client.users_info(user=captain)["user"]
        except SlackApiError as err:
            yield Check("alerts", False, f"captain {captain}: Slack says {err.response.get('error')}")
            return
        except (SlackClientError, OSError) as err:
            yield Check("alerts", False, f"captain {captain}: cannot ask Slack: {reason(err)}")
            return
        if person.get("deleted") or person.get("is_bot"):
            yield Check("alerts", False, f"captain {captain} is {'a bot' if person.get('is_bot') else 'deactivated'};"
                                         " an alert's investigation needs a person who can answer")
            return
    yield Check("alerts", True, f"intake on: captain {alerts.captain}, {len(alerts.rules)} label rules, at most"
                                f" {alerts.storm_limit} war rooms per {span(alerts.storm_window)}")


def integration_checks(settings: Settings) -> Iterator[Check]:
    """Each firebreak executor's and trace source's base URL answers HTTP (any status: it is reachable)."""
    targets = [(f"firebreak {name}", spec.url, spec.timeout.total_seconds())
               for name, spec in settings.firebreaks.items()]
    targets += [(f"trace source {name}", spec.url, spec.timeout.total_seconds())
                for name, spec in settings.trace_sources.items()]
    if not targets:
        if not (settings.metric_sources or settings.pagers or settings.events):  # they have lines of their own
            yield Check("integrations", None, "none configured")
        return
    for name, url, timeout in targets:
        yield reach(name, base_url(url), timeout=min(timeout, REACH_TIMEOUT))


def signal_checks(settings: Settings) -> Iterator[Check]:
    """Each metric source answers a query (`vector(1)`), then each signal's query is run once, instantly: how
    many series came back and the value now, no data (a warning), or the source's failure in its own words.
    A signal whose source did not answer is not run again."""
    from firehouse.integrations.metrics import PrometheusSources

    sources = PrometheusSources()
    limit = timedelta(seconds=REACH_TIMEOUT)
    capped = {name: replace(source, timeout=min(source.timeout, limit))
              for name, source in settings.metric_sources.items()}
    down = set()
    for name, source in capped.items():
        try:
            sources.instant(source, "vector(1)")
        except MetricFailure as failure:
            down.add(name)
            yield Check(f"metric source {name}", False, f"{source.url}: {failure.reason}")
        else:
            yield Check(f"metric source {name}", True, f"{source.url} answers queries")
    for name, signal in settings.signals.items():
        if signal.source in down:
            yield Check(f"signal {name}", None, f"not run: metric source {signal.source} did not answer")
            continue
        try:
            found = sources.instant(capped[signal.source], signal.query)
        except MetricFailure as failure:
            yield Check(f"signal {name}", False, failure.reason)
            continue
        yield signal_line(signal, found)


def signal_line(signal: Signal, found: list[Series]) -> Check:
    """What one instant query of a signal answered, as people will read it: the value now, combined as the
    war room combines it (a sum, or a mean for a percent)."""
    name = f"signal {signal.name}"
    if not found:
        return Check(name, True, "no data: the query answered no series (is the metric scraped, under these"
                                 " labels?)", warning=True)
    count = f"{len(found)} series"
    line = combine(found, signal.unit)
    if not line:
        return Check(name, True, f"{count}, none with a number now (NaN or ±Inf)", warning=True)
    how = "" if len(found) == 1 else " (their mean)" if signal.unit == "percent" else " (their sum)"
    return Check(name, True, f"{count}, now {signal.show(line[-1][1])}{how}")
