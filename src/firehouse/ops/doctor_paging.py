"""`firehouse doctor`'s lines for paging and events. Each partner is asked something harmless: an Alertmanager its
status, a webhook pager or an `[[events]]` receiver for any answer at all (no page and no event is sent), Slack for
the members of each user group a routing rule invites. PagerDuty's Events API has nothing to ask without paging
someone, so its line says what is configured and that it was not checked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from firehouse.config import Settings
from firehouse.config.paging import PagerSettings
from firehouse.integrations.pagers import HttpPagers
from firehouse.ops.check import REACH_TIMEOUT, SLACK_TIMEOUT, Check, reach, reason


def paging_checks(settings: Settings, *, environ: Mapping[str, str]) -> Iterator[Check]:
    """A line per pager, per `[[events]]` subscription and per user group a routing rule invites."""
    yield from pager_checks(settings, environ=environ)
    for subscription in settings.events:  # a receiver may take only POST: any answer shows it is there
        yield reach(f"events {subscription.name}", subscription.url, method="HEAD",
                    timeout=min(subscription.timeout.total_seconds(), REACH_TIMEOUT))
    yield from usergroup_checks(settings)


def pager_checks(settings: Settings, *, environ: Mapping[str, str]) -> Iterator[Check]:
    """An Alertmanager answers GET /api/v2/status; a webhook answers at all; PagerDuty has its key."""
    if not settings.pagers:
        return
    limit = timedelta(seconds=REACH_TIMEOUT)
    with HttpPagers() as pagers:
        for pager in settings.pagers.values():
            if pager.kind == "pagerduty":
                yield pagerduty_line(pager, pager.routing_key_env or None, environ)
                continue
            problem = pagers.check(replace(pager, timeout=min(pager.timeout, limit)))
            if problem:
                yield Check(f"pager {pager.name}", False, problem)
            elif pager.kind == "alertmanager":
                yield Check(f"pager {pager.name}", True, f"Alertmanager at {pager.url} answers"
                                                         " (GET /api/v2/status)")
            else:
                yield Check(f"pager {pager.name}", True, f"the webhook at {pager.url} answers (nothing was sent)")


def pagerduty_line(pager: PagerSettings, variable: str | None, environ: Mapping[str, str]) -> Check:
    """Configured, with the routing key's variable set, and where events go; never checked (None)."""
    name = f"pager {pager.name}"
    key = f"the routing key in {variable}" if variable else "the routing key"
    where = f"{pager.url}/v2/enqueue" + (f" and {pager.url}/v2/change/enqueue" if pager.change_events else "")
    if not (environ.get(variable, "").strip() if variable else pager.secret):
        what = f"{variable} (its routing_key_env)" if variable else "its routing key"
        return Check(name, False, f"PagerDuty: {what} is not set, so nothing can be paged")
    return Check(name, None, f"PagerDuty, {key} is set, events to {where}; not checked: its Events API cannot be"
                             " asked anything without paging someone")


def usergroup_checks(settings: Settings) -> Iterator[Check]:
    """Each user group a routing rule invites answers `usergroups.users.list` with its members, as the war room
    asks when it invites them."""
    invited_by: dict[str, list[str]] = {}
    for rule in settings.routing:
        for invitee in rule.invite:
            if invitee.startswith("S"):
                invited_by.setdefault(invitee, []).append(rule.name)
    if not invited_by:
        return
    if not settings.bot_token:
        yield from (Check(f"user group {group}", None, "needs a bot token to ask Slack") for group in invited_by)
        return
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT)
    for group, rules in invited_by.items():
        name, routing = f"user group {group}", f"routing {', '.join(rules)}"
        try:
            members = client.usergroups_users_list(usergroup=group).get("users") or []
        except SlackApiError as err:
            yield Check(name, False, f"{routing} invite{'s' if len(rules) == 1 else ''} {group}, and Slack says"
                                     f" {err.response.get('error')} (a user group's id starts with S: is it right?)")
            continue
        except (SlackClientError, OSError) as err:
            yield Check(name, False, f"{routing}: cannot ask Slack about {group}: {reason(err)}")
            continue
        if not members:
            yield Check(name, True, f"no members: {routing} invite{'s' if len(rules) == 1 else ''} nobody through it",
                        warning=True)
            continue
        yield Check(name, True, f"{len(members)} member{'' if len(members) == 1 else 's'}, invited by {routing}")
