"""The error tree. Every error a person can cause carries a reply that says what was wrong.

    FirehouseError
     ├── ConfigError            bad environment or TOML: start-up stops with one line
     ├── UsageError             a command that does not fit the grammar
     ├── DomainError            the domain refused: the rule and the right form are in `reply`
     │    ├── NotAWarRoom       a war-room command outside a war room
     │    ├── Missing           a record named by its number (an incident, a notice, an action) is not there
     │    ├── InvalidChange     a change that the incident's state does not allow
     │    └── NotAllowed        the person may not do this (domain.permissions; says who may)
     ├── TemplateProblem        a template is missing or broken (comms.templates; names the line)
     ├── SlackFailure           Slack answered with an error after the retries
     └── PartnerFailure         a trace source or a firebreak executor did not answer as asked
          └── MetricFailure     a metric source did not answer, or refused the query
               └── QueryRefused the source refused the query itself (a PromQL syntax error)
"""

from __future__ import annotations

from enum import StrEnum


def echo(text: str, limit: int = 40) -> str:
    """User text quoted in an error: cut to `limit` characters, then `&`, `<` and `>` escaped (as
    `comms.mrkdwn.escape` does; this layer sits below it), so it cannot ping a channel or make a link."""
    return text[:limit].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class FirehouseError(Exception):
    """Base of every error Firehouse raises on purpose."""

    @property
    def reply(self) -> str:
        """The text shown to the person who caused it."""
        return str(self)


class ConfigError(FirehouseError):
    """The environment or the config file cannot be used."""


class UsageError(FirehouseError):
    """A command did not fit the grammar; `form` shows the right one."""

    def __init__(self, problem: str, *, form: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.form = form

    @property
    def reply(self) -> str:
        return f"{self.problem}\nUsage: `{self.form}`"


class DomainError(FirehouseError):
    """The domain refused a change."""


class NotAWarRoom(DomainError):
    """A war-room command was used in a channel that is not a war room."""


class Missing(DomainError):
    """A record named by its number (an incident, a notice, a follow-up action) does not exist."""


class InvalidChange(DomainError):
    """The incident's current state does not allow this change."""


class Remedy(StrEnum):
    """What Firehouse does about a Slack error (the table that decides is `slack.failures`)."""

    RETRY = "transient"  # rate limits, 5xx, no answer: tried again with backoff
    JOIN = "repairable"  # not in a public channel: join it and send again, once
    PERSON = "needs a person"  # Slack takes nothing there until a person acts: stop, record why, tell once
    DROP = "permanent"  # this message can never be sent: never retried, the rest go on


class SlackFailure(FirehouseError):
    """A Slack Web API call failed for good; `error` is Slack's error code, `channel` the channel the call
    named (if any), and `remedy` what the caller found out already (None: as `slack.failures` classifies
    `error`; a join that failed to repair a post makes it a person's to fix)."""

    def __init__(self, method: str, error: str, *, channel: str | None = None, remedy: Remedy | None = None) -> None:
        super().__init__(f"Slack refused {method}: {error}")
        self.method = method
        self.error = error
        self.channel = channel
        self.remedy = remedy


class PartnerFailure(FirehouseError):
    """Another system (a trace source, a firebreak executor) failed; the reply says which and what it said."""


class MetricFailure(PartnerFailure):
    """A metric source did not answer or refused a query; `reason` is short ("Prometheus did not answer")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class QueryRefused(MetricFailure):
    """The metric source refused the query itself (a PromQL syntax error): trying again will not help."""
