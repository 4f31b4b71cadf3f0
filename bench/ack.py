"""Benchmark: how fast `/incident` commands are acked, against a bare Bolt app measured in the same run.

Starts the fake Slack (tests/fakeslack.py) in this process on 127.0.0.1 and two servers against it:

* bare: a Bolt app whose only listener acks `/incident`, built with firehouse's own Slack client and
  served by `firehouse.server.serve_http` (waitress, same settings) in a Python process of its own;
* firehouse: the real `firehouse serve` (tests/botprocess.py), with a stakeholder channel.

Each round sends one batch of signed slash commands to the bare app, then the same batch to firehouse,
so noise hits both alike. The ack latency is the time from sending the HTTP request to receiving its
response. Two scenarios:

(a) `/incident log <text>` from N responders at once in one war room (Slack answering in --log-latency-ms);
(b) `/incident declare sev2 output <title>` from N users at once, with Slack answering every Web API
    method in --latency-ms. Also: how many acks came within Slack's 3 s, how many sequential Web API
    round trips one declaration alone needs until its war room is ready (channel created, captain
    invited, topic set, kickoff posted, stakeholders told), read from the fake's call timestamps, and
    the time from the command to "ready" for the concurrent declarations.

With --rules, one scenario instead, against two `firehouse serve` processes and no bare app:

(c) the declarations of (b), sent in turn to firehouse without routing rules and to firehouse with a rule
    that matches every incident, invites a user group of --invitees people and pages two pagers (PagerDuty
    stand-ins on 127.0.0.1, tests/pagerdutyserver.py); each goes first every other round, and each batch
    waits for the other's war rooms (and pages) to be done. Ack latency and "war room ready" (with rules:
    every invitee invited as well) for both, the ratio with / without (target: within 1.1×), the round trips
    of one declaration alone, and the time from the command to both pages taken.

It prints p50/p95/p99 for both servers, the ratio firehouse / bare, and the targets of DESIGN.md's
performance contract next to the figures. Everything stays on 127.0.0.1; the servers and the temporary
folder are removed at the end.

    python bench/ack.py                          # 10 rounds of 20 per scenario, under a minute
    python bench/ack.py --rounds 10 --users 20 --latency-ms 100 --log-latency-ms 0
    python bench/ack.py --rounds 2               # a quick look
    python bench/ack.py --rules                  # with routing rules against without, under two minutes
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import fakeslack
from baseline import BareProcess, ms, percentile
from botprocess import SIGNING_SECRET, BotProcess
from fakeslack import Call, FakeSlack
from pagerdutyserver import PagerDutyServer
from slackreq import post, slash_command_body

EVENTS_PATH = "/slack/events"  # where Slack posts to both apps
FORM = "application/x-www-form-urlencoded"
SLACK_ACK_DEADLINE = 3.0
LOG_P99_RATIO_TARGET = 1.5
DECLARE_P99_TARGET = 0.250
READY_ROUND_TRIPS_TARGET = 2
READY_PARTS = ("channel created", "captain invited", "topic set", "kickoff posted", "stakeholders told")
RULES_RATIO_TARGET = 1.1  # declare acks and war-room readiness with routing rules, against without
UNSENT = "Failed to send a request to Slack API server"  # slack_sdk's log line for a request that never got in
BACKLOG = 128  # the fake Slack's listen backlog with --rules (socketserver's default is 5)
ROUTED_GROUP = "SBENCHSRE"  # the user group the rule invites
PAGERS = ("primary", "secondary")  # the pagers the rule pages, a PagerDuty stand-in each
ROUTING_CONFIG = """
[pagers.{pager}]
kind = "pagerduty"
routing_key_env = "FIREHOUSE_BENCH_{upper}_KEY"
url = "{url}"
"""


# --- the bare app ------------------------------------------------------------------------------------

def serve_bare(port: int) -> None:
    """The baseline server: only acks `/incident`, otherwise built and served as `firehouse serve` is."""
    import logging

    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from firehouse.server import serve_http

    try:  # firehouse's own client (retry handlers), when it is where it used to be; the ack never uses it
        from firehouse.slack.gateway import make_client
    except ImportError:
        make_client = WebClient

    import threading

    from firehouse.ops.health import Health
    from firehouse.ops.metrics import Metrics

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # auth.test at start-up, against the fake, as firehouse's App does (so no request pays for it); the edge
    # checks signatures for both, so neither App checks again
    app = App(signing_secret=os.environ["SLACK_SIGNING_SECRET"], request_verification_enabled=False,
              client=make_client(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]))

    @app.command("/incident")
    def incident(ack: Ack) -> None:
        ack()

    # The same edge, server and settings as `firehouse serve`; the probes are never asked here.
    serve_http(app, signing_secret=os.environ["SLACK_SIGNING_SECRET"], host="127.0.0.1", port=port,
               health=Health(engine=None, board=None, slack="ok"), metrics=Metrics(), stopping=threading.Event())

# --- sending commands --------------------------------------------------------------------------------

@dataclass
class Sent:
    """One slash command: when it was sent (monotonic), how long its ack took, what came back."""

    text: str
    user: str
    response_url: str
    sent: float = 0.0
    ack: float = float("nan")
    status: int = 0
    body: str = ""
    tag: str = ""


def burst(url: str, commands: list[Sent], *, channel: str) -> list[Sent]:
    """Send every command at once (one thread each, released together) and wait for all the acks."""
    bodies = [slash_command_body(text=c.text, user_id=c.user, channel_id=channel, response_url=c.response_url)
              for c in commands]
    gate = threading.Barrier(len(commands))

    def send(command: Sent, body: str) -> None:
        gate.wait()
        command.sent = time.monotonic()
        try:
            reply = post(url, body, secret=SIGNING_SECRET, content_type=FORM)
            command.status, command.body = reply.status, reply.body
        except OSError as err:  # a timeout or a refused connection: recorded, not fatal
            command.status, command.body = 0, repr(err)
        command.ack = time.monotonic() - command.sent

    threads = [threading.Thread(target=send, args=pair, daemon=True) for pair in zip(commands, bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return commands


_tags = iter(range(1, 1_000_000))


def declares(fake: FakeSlack, users: list[str]) -> list[Sent]:
    """One `/incident declare` per user, each with a title carrying a unique tag (found in channel names)."""
    made = []
    for user in users:
        tag = f"zq{next(_tags):05d}"
        made.append(Sent(f"declare sev2 output Answers drift {tag}", user, fake.new_response_url(), tag=tag))
    return made


def logs(fake: FakeSlack, users: list[str], round_: int) -> list[Sent]:
    return [Sent(f"log round {round_}: {user} restarted the retriever replica {n}", user, fake.new_response_url())
            for n, user in enumerate(users)]


# --- reading the fake's call log -----------------------------------------------------------------------

def _first(calls: list[Call], method: str, *, errors: tuple = (None,), mentions: tuple[str, ...] = ()) -> Call | None:
    """The first successful (or `errors`-answered) call of `method`, whose arguments mention any of `mentions`."""
    for call in calls:
        if call.method != method or call.status != 200 or call.error not in errors:
            continue
        if not mentions or any(text in json.dumps(call.args, default=str) for text in mentions):
            return call
    return None


def rooms_ready(fake: FakeSlack, tags: list[str], stakeholders: str, *,
                invitees: Collection[str] = ()) -> dict[str, dict[str, Call]]:
    """For each tag whose war room is ready, the (first) call that did each of READY_PARTS; with `invitees`, also
    "everyone invited": the invitation, of those that took in each of them, that was answered last."""
    calls = fake.calls()
    creates = {str(c.args.get("name", "")): c for c in calls if c.method == "conversations.create" and not c.error}
    to_stakeholders = [c for c in calls if c.args.get("channel") == stakeholders]
    done = {}
    for tag in tags:
        name = next((name for name in creates if tag in name), None)
        room = fake.channel_named(name) if name else None
        if room is None:
            continue
        in_room = [c for c in calls if c.args.get("channel") == room.id]
        parts = {
            "channel created": creates[name],
            "captain invited": _first(in_room, "conversations.invite", errors=(None, "already_in_channel")),
            "topic set": _first(in_room, "conversations.setTopic"),
            "kickoff posted": _first(in_room, "chat.postMessage"),
            "stakeholders told": _first(to_stakeholders, "chat.postMessage", mentions=(tag, room.id)),
        }
        if invitees:
            parts["everyone invited"] = _last_invited(in_room, invitees)
        if all(parts.values()):
            done[tag] = parts
    return done


def _last_invited(in_room: list[Call], invitees: Collection[str]) -> Call | None:
    """The invitation answered last of those that took each of `invitees` in (None while one is missing)."""
    firsts = []
    for who in invitees:
        call = next((c for c in in_room if c.method == "conversations.invite" and c.status == 200
                     and c.error in (None, "already_in_channel") and who in str(c.args.get("users", "")).split(",")),
                    None)
        if call is None:
            return None
        firsts.append(call)
    return max(firsts, key=lambda c: c.ended)


def all_in(fake: FakeSlack, tags: list[str], invitees: Collection[str]) -> bool:
    """Whether each tag's war room has every one of `invitees` as a member: a cheap look at the channels."""
    names = [str(c.args.get("name", "")) for c in fake.calls("conversations.create") if not c.error]
    for tag in tags:
        room = next((fake.channel_named(name) for name in names if tag in name), None)
        if room is None or not set(invitees) <= set(room.members):
            return False
    return True


def wait_ready(fake: FakeSlack, tags: list[str], stakeholders: str, *, timeout: float,
               invitees: Collection[str] = ()) -> dict[str, dict[str, Call]]:
    """Wait until every tag's war room is ready (or the timeout passes); returns those that are.

    A cheap check (the tags in the stakeholder channel, and `invitees` in every war room) gates the full
    read of the call log, which is only done every 0.5 s otherwise, so polling does not slow the fake down
    while it is busy."""
    deadline = time.monotonic() + timeout
    last_full = 0.0
    while True:
        now = time.monotonic()
        told = " ".join(m["text"] for m in fake.messages(stakeholders))
        gate = all(tag in told for tag in tags) and (not invitees or all_in(fake, tags, invitees))
        if gate or now - last_full >= 0.5 or now >= deadline:
            last_full = now
            ready = rooms_ready(fake, tags, stakeholders, invitees=invitees)
            if len(ready) == len(tags) or now >= deadline:
                return ready
        time.sleep(0.05)


def round_trips(calls: list[Call], parts: dict[str, Call], *, since: float, tag: str, room: str) -> list[list[Call]]:
    """The waves of Web API calls of one declaration up to its last ready part: wave k holds the calls
    that start after a call of wave k-1 ended (and after none of wave k). Calls about other channels
    are left out, so background work (the status board) does not lengthen the chain."""
    end = max(call.ended for call in parts.values())

    def ours(call: Call) -> bool:
        text = json.dumps(call.args, default=str)
        return "channel" not in call.args or tag in text or room in text

    window = sorted((c for c in calls if c.at >= since and c.ended <= end and ours(c)), key=lambda c: c.at)
    depth: dict[int, int] = {}
    for n, call in enumerate(window):
        depth[n] = 1 + max((depth[m] for m in range(n) if window[m].ended <= call.at), default=0)
    chain = max(depth[window.index(call)] for call in parts.values())
    return [[c for n, c in enumerate(window) if depth[n] == k] for k in range(1, chain + 1)]


def wait_quiet(fake: FakeSlack, *, quiet: float = 0.3, cap: float = 3.0) -> None:
    """Wait until the fake has seen no new call or response-URL post for `quiet` seconds (at most `cap`)."""
    deadline = time.monotonic() + cap
    seen, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now_seen = (len(fake.calls()), len(fake.responses()))
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.05)


def wait_replies(fake: FakeSlack, commands: list[Sent], *, timeout: float) -> int:
    """Wait for the follow-up (response_url) of every command acked without text; returns how many replied."""
    expected = [c for c in commands if c.status == 200 and not c.body]
    deadline = time.monotonic() + timeout
    while True:
        urls = {r["_url"] for r in fake.responses()}
        replied = sum(c.response_url in urls for c in expected)
        if replied == len(expected) or time.monotonic() >= deadline:
            return replied + sum(1 for c in commands if c.status == 200 and c.body)
        time.sleep(0.05)


# --- statistics and printing -----------------------------------------------------------------------



def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def print_figures(title: str, rows: dict[str, list[float]], *, ratio: str, width: int = 12) -> dict[str, float]:
    """p50/p95/p99/max of each row (seconds, shown in ms) and the second row's over the first's; returns them
    by "<row> p<N>" and "ratio p<N>"."""
    out = {}
    print(f"  {title:<{width}}{'n':>5}{'p50':>12}{'p95':>12}{'p99':>12}{'max':>12}")
    for name, values in rows.items():
        row = [percentile(values, p) for p in (50, 95, 99)] + [max(values, default=float("nan"))]
        print(f"  {name:<{width}}{len(values):>5}" + "".join(f"{ms(v):>12}" for v in row))
        out.update({f"{name} p{p}": v for p, v in zip((50, 95, 99), row)})
    base, other = rows
    ratios = [out[f"{other} p{p}"] / out[f"{base} p{p}"] for p in (50, 95, 99)]
    print(f"  {ratio:<{width}}{'':>5}" + "".join(f"{r:>11.2f}×" for r in ratios))
    out.update({f"ratio p{p}": r for p, r in zip((50, 95, 99), ratios)})
    return out


def print_acks(bare: list[Sent], fire: list[Sent]) -> dict[str, float]:
    """p50/p95/p99 rows for both servers and the ratio; returns firehouse's percentiles and the ratios."""
    out = print_figures("ack latency", {"bare": [c.ack for c in bare], "firehouse": [c.ack for c in fire]},
                        ratio="ratio f/b")
    for name, sent in (("bare", bare), ("firehouse", fire)):
        bad = [c for c in sent if c.status != 200]
        if bad:
            print(f"  {name}: {len(bad)} requests not answered 200, e.g. {bad[0].status} {bad[0].body[:120]!r}")
    return out


# --- the scenarios -----------------------------------------------------------------------------------

@dataclass
class Setup:
    fake: FakeSlack
    bare: BareProcess
    bot: BotProcess
    users: list[str]
    general: str
    stakeholders: str
    log_latency: float
    latency: float
    rounds: int
    notes: list[str] = field(default_factory=list)


def scenario_log(s: Setup) -> None:
    s.fake.set_default_latency(s.log_latency)
    opening = declares(s.fake, s.users[:1])
    burst(s.bot.url, opening, channel=s.general)
    ready = wait_ready(s.fake, [opening[0].tag], s.stakeholders, timeout=30)
    if not ready:
        raise RuntimeError(f"the log scenario's war room never got ready:\n{s.bot.log()[-3000:]}")
    room = s.fake.channel_named(str(ready[opening[0].tag]["channel created"].args["name"])).id
    wait_quiet(s.fake)
    burst(s.bare.url(EVENTS_PATH), logs(s.fake, s.users, 0), channel=room)  # warm-up, not counted
    warm = burst(s.bot.url, logs(s.fake, s.users, 0), channel=room)
    patience = 10.0  # for the follow-ups; shortened once some do not come, so the run stays short
    if wait_replies(s.fake, warm, timeout=patience) < len(warm):
        patience = 1.0
    bare, fire, replied = [], [], 0
    for round_ in range(1, s.rounds + 1):
        bare += burst(s.bare.url(EVENTS_PATH), logs(s.fake, s.users, round_), channel=room)
        batch = burst(s.bot.url, logs(s.fake, s.users, round_), channel=room)
        got = wait_replies(s.fake, batch, timeout=patience)
        patience = patience if got == len(batch) else 1.0
        replied += got
        fire += batch
        wait_quiet(s.fake, quiet=0.1, cap=2)
    print(f"\n(a) /incident log <text>: {len(s.users)} responders at once in one war room,"
          f" Slack latency {s.log_latency * 1000:.0f} ms, {s.rounds} rounds")
    figures = print_acks(bare, fire)
    ratio = figures["ratio p99"]
    print(f"  target: log ack p99 ≤ {LOG_P99_RATIO_TARGET}× bare          "
          f"→ {ratio:.2f}× ({verdict(ratio <= LOG_P99_RATIO_TARGET)})")
    sample = next((r.get("text", "") for r in s.fake.responses(fire[-1].response_url)), fire[-1].body)
    print(f"  follow-up replies from firehouse: {replied}/{len(fire)}, e.g. {sample[:70]!r}")


def scenario_declare(s: Setup) -> None:
    s.fake.set_default_latency(s.latency)
    lat = f"{s.latency * 1000:.0f} ms"
    # a warm-up batch for each server, not counted
    burst(s.bare.url(EVENTS_PATH), declares(s.fake, s.users), channel=s.general)
    warm = burst(s.bot.url, declares(s.fake, s.users), channel=s.general)
    wait_ready(s.fake, [c.tag for c in warm], s.stakeholders, timeout=30)
    wait_quiet(s.fake)
    # one declaration alone: how many sequential round trips until its war room is ready
    alone = declares(s.fake, s.users[:1])
    burst(s.bot.url, alone, channel=s.general)
    ready = wait_ready(s.fake, [alone[0].tag], s.stakeholders, timeout=30)
    waves: list[list[Call]] = []
    alone_ready = float("nan")
    if ready:
        parts = ready[alone[0].tag]
        room = s.fake.channel_named(str(parts["channel created"].args["name"])).id
        waves = round_trips(s.fake.calls(), parts, since=alone[0].sent, tag=alone[0].tag, room=room)
        alone_ready = max(c.ended for c in parts.values()) - alone[0].sent
    wait_quiet(s.fake)
    bare, fire, to_ready = [], [], []
    patience = 30.0  # shortened once a war room does not get ready, so the run stays short
    for _ in range(s.rounds):
        bare += burst(s.bare.url(EVENTS_PATH), declares(s.fake, s.users), channel=s.general)
        batch = burst(s.bot.url, declares(s.fake, s.users), channel=s.general)
        fire += batch
        ready = wait_ready(s.fake, [c.tag for c in batch], s.stakeholders, timeout=patience)
        patience = patience if len(ready) == len(batch) else 5.0
        to_ready += [max(p.ended for p in ready[c.tag].values()) - c.sent for c in batch if c.tag in ready]
        wait_quiet(s.fake)

    print(f"\n(b) /incident declare sev2 output <title>: {len(s.users)} users at once,"
          f" Slack answering every Web API method in {lat}, {s.rounds} rounds")
    figures = print_acks(bare, fire)
    within = sum(1 for c in fire if c.status == 200 and c.ack < SLACK_ACK_DEADLINE)
    p99 = figures["firehouse p99"]
    print(f"  acked within {SLACK_ACK_DEADLINE:.0f} s: firehouse {within}/{len(fire)}"
          f" ({verdict(within == len(fire))}: every declare acked)")
    print(f"  target: declare ack p99 ≤ {DECLARE_P99_TARGET * 1000:.0f} ms at {len(s.users)} simultaneous, {lat}"
          f" → {p99 * 1000:.0f} ms ({verdict(p99 <= DECLARE_P99_TARGET)})")
    print(f"  war room ready ({', '.join(READY_PARTS)}), one declaration alone at {lat}:")
    if waves:
        print(f"    sequential Web API round trips: {len(waves)}  target {READY_ROUND_TRIPS_TARGET}"
              f" ({verdict(len(waves) <= READY_ROUND_TRIPS_TARGET)})")
        for k, wave in enumerate(waves, 1):
            start = min(c.at for c in wave) - alone[0].sent
            names = ", ".join(c.method for c in wave)
            print(f"      {k}. +{start * 1000:5.0f} ms  {names}")
        target = (READY_ROUND_TRIPS_TARGET * s.latency + 0.05) * 1000
        print(f"    command sent → ready: {alone_ready * 1000:.0f} ms  target ~{target:.0f} ms")
    else:
        print("    never got ready within 30 s")
    print(f"  command sent → war room ready, {len(s.users)} at once: "
          f"p50 {percentile(to_ready, 50) * 1000:.0f} ms  p99 {percentile(to_ready, 99) * 1000:.0f} ms"
          f"  max {max(to_ready, default=float('nan')) * 1000:.0f} ms  ({len(to_ready)}/{len(fire)} ready)")


# --- with routing rules ------------------------------------------------------------------------------

class PagerStandIn(PagerDutyServer):
    """PagerDuty's stand-in (tests/pagerdutyserver.py), noting when each event arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: list[tuple[float, bytes]] = []  # (monotonic, body), in order

    def judge(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        self.arrived.append((time.monotonic(), body))
        return super().judge(method, path, headers, body)

    def paged_at(self, tag: str) -> float | None:
        """When the first trigger about the declaration tagged `tag` arrived."""
        return next((at for at, body in list(self.arrived) if tag.encode() in body and b'"trigger"' in body), None)


def routed_bot(fake: FakeSlack, workdir: Path, *, stakeholders: str, stand_ins: dict[str, PagerStandIn]) -> BotProcess:
    """`firehouse serve` with one routing rule for every incident: invite ROUTED_GROUP, page each stand-in."""
    config = f'stakeholder_channel = "{stakeholders}"\nchannel_prefix = "inc"\n'
    env = {}
    for pager, stand_in in stand_ins.items():
        config += ROUTING_CONFIG.format(pager=pager, upper=pager.upper(), url=stand_in.url)
        env[f"FIREHOUSE_BENCH_{pager.upper()}_KEY"] = pager.ljust(32, "0")  # PagerDuty's keys are 32 characters
    config += f'\n[[routing]]\nname = "everyone"\ninvite = ["{ROUTED_GROUP}"]\npage = {json.dumps(list(stand_ins))}\n'
    return BotProcess(fake=fake, workdir=workdir, config=config, env=env)


def pages_taken(stand_ins: list[PagerStandIn], sent: list[Sent], *, timeout: float) -> list[float]:
    """For each declaration whose pages all arrived (waiting up to `timeout`): command sent → the last of them."""
    deadline = time.monotonic() + timeout
    while True:
        arrived = [[stand_in.paged_at(c.tag) for stand_in in stand_ins] for c in sent]
        if all(None not in times for times in arrived) or time.monotonic() >= deadline:
            return [max(times) - c.sent for c, times in zip(sent, arrived) if None not in times]
        time.sleep(0.1)


def methods(wave: list[Call]) -> str:
    """A wave's methods in the order first seen, each with how many times it was called when more than once."""
    counts: dict[str, int] = {}
    for call in wave:
        counts[call.method] = counts.get(call.method, 0) + 1
    return ", ".join(method if n == 1 else f"{method} ×{n}" for method, n in counts.items())


def scenario_rules(s: Setup, routed: BotProcess, stand_ins: list[PagerStandIn], invitees: list[str]) -> None:
    """(c): the same declarations without and with routing rules, in turn, against one fake Slack."""
    s.fake.set_default_latency(s.latency)
    lat = f"{s.latency * 1000:.0f} ms"
    sides = {"without rules": (s.bot, ()), "with rules": (routed, tuple(invitees))}
    for bot, need in sides.values():  # a warm-up batch for each server, not counted
        warm = burst(bot.url, declares(s.fake, s.users), channel=s.general)
        wait_ready(s.fake, [c.tag for c in warm], s.stakeholders, timeout=30, invitees=need)
        wait_quiet(s.fake)
    alone: dict[str, tuple[list[list[Call]], float, Sent]] = {}
    for name, (bot, need) in sides.items():  # one declaration alone: its sequential round trips
        one = declares(s.fake, s.users[:1])
        burst(bot.url, one, channel=s.general)
        ready = wait_ready(s.fake, [one[0].tag], s.stakeholders, timeout=30, invitees=need)
        if ready:
            parts = ready[one[0].tag]
            room = s.fake.channel_named(str(parts["channel created"].args["name"])).id
            alone[name] = (round_trips(s.fake.calls(), parts, since=one[0].sent, tag=one[0].tag, room=room),
                           max(c.ended for c in parts.values()) - one[0].sent, one[0])
        wait_quiet(s.fake)
    acks: dict[str, list[Sent]] = {name: [] for name in sides}
    to_ready: dict[str, list[float]] = {name: [] for name in sides}
    paged: list[float] = []
    patience = dict.fromkeys(sides, 30.0)  # shortened once a war room does not get ready, so the run stays short
    for round_ in range(s.rounds):
        for name, (bot, need) in list(sides.items())[::-1 if round_ % 2 else 1]:  # each goes first every other round
            batch = burst(bot.url, declares(s.fake, s.users), channel=s.general)
            acks[name] += batch
            ready = wait_ready(s.fake, [c.tag for c in batch], s.stakeholders, timeout=patience[name], invitees=need)
            patience[name] = patience[name] if len(ready) == len(batch) else 5.0
            to_ready[name] += [max(p.ended for p in ready[c.tag].values()) - c.sent for c in batch if c.tag in ready]
            if bot is routed:  # the pages and what they post come after the war room: the other side waits for them
                paged += pages_taken(stand_ins, batch, timeout=15)
            wait_quiet(s.fake)
    unsent = {name: bot.log().count(UNSENT) for name, (bot, _) in sides.items()}

    print(f"\n(c) /incident declare sev2 output <title>: {len(s.users)} users at once, Slack answering every Web API"
          f" method in {lat}, {s.rounds} rounds;")
    print(f"    firehouse without routing rules, and with a rule that invites a user group of {len(invitees)} people"
          f" and pages {len(stand_ins)} pagers")
    figures = print_figures("ack latency", {name: [c.ack for c in sent] for name, sent in acks.items()},
                            ratio="ratio w/wo", width=16)
    within = {name: sum(1 for c in sent if c.status == 200 and c.ack < SLACK_ACK_DEADLINE)
              for name, sent in acks.items()}
    print(f"  acked within {SLACK_ACK_DEADLINE:.0f} s: " + ", ".join(f"{name} {within[name]}/{len(acks[name])}"
                                                                  for name in sides))
    ratio = figures["ratio p99"]
    print(f"  target: declare ack p99 with rules ≤ {RULES_RATIO_TARGET}× without → {ratio:.2f}×"
          f" ({verdict(ratio <= RULES_RATIO_TARGET)})")
    print(f"  war room ready ({', '.join(READY_PARTS)};")
    print("  with rules, everyone invited too), one declaration alone:")
    for name in sides:
        if name not in alone:
            print(f"    {name}: never got ready within 30 s")
            continue
        waves, seconds, one = alone[name]
        print(f"    {name}: {len(waves)} sequential Web API round trips, {seconds * 1000:.0f} ms")
        for k, wave in enumerate(waves, 1):
            print(f"      {k}. +{(min(c.at for c in wave) - one.sent) * 1000:5.0f} ms  {methods(wave)}")
    print(f"  command sent → war room ready, {len(s.users)} at once:")
    figures = print_figures("ready", to_ready, ratio="ratio w/wo", width=16)
    ratio = figures["ratio p99"]
    print(f"  target: war room ready p99 with rules ≤ {RULES_RATIO_TARGET}× without → {ratio:.2f}×"
          f" ({verdict(ratio <= RULES_RATIO_TARGET)}); ready: "
          + ", ".join(f"{name} {len(to_ready[name])}/{len(acks[name])}" for name in sides))
    print(f"  command sent → both pages taken by the stand-ins, with rules: p50 {percentile(paged, 50) * 1000:.0f} ms"
          f"  p99 {percentile(paged, 99) * 1000:.0f} ms  max {max(paged, default=float('nan')) * 1000:.0f} ms"
          f"  ({len(paged)}/{len(acks['with rules'])} paged)")
    if any(unsent.values()):
        print("  Web API requests that did not reach the fake Slack (sent again by slack_sdk's retry handlers): "
              + ", ".join(f"{name} {n}" for name, n in unsent.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="batches per server and scenario (default 10)")
    parser.add_argument("--users", type=int, default=20, help="commands sent at once per batch (default 20)")
    parser.add_argument("--latency-ms", type=float, default=100, help="Slack latency for declares (default 100)")
    parser.add_argument("--log-latency-ms", type=float, default=0, help="Slack latency for logs (default 0)")
    parser.add_argument("--only", choices=["log", "declare"], help="run one scenario")
    parser.add_argument("--rules", action="store_true",
                        help="declarations without routing rules against with them (scenario c), instead of a and b")
    parser.add_argument("--invitees", type=int, default=20,
                        help="people in the user group the rule invites, with --rules (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs) and say where")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if args.rules and args.invitees < 1:
        parser.error("--invitees must be at least 1")
    # loopback only, even when a proxy is configured; the servers inherit this
    os.environ["no_proxy"] = os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` cleans up

    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="firehouse-ack-bench-"))
    if args.rules:  # 20 war rooms' invitations open more connections at once than socketserver's backlog of 5
        fakeslack._Server.request_queue_size = BACKLOG  # takes: the fake would reset them, Slack does not
    fake = FakeSlack().start()
    bare = BareProcess(__file__, workdir=workdir, env={
        "SLACK_BOT_TOKEN": fake.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url})
    bot = routed = None
    stand_ins = {pager: PagerStandIn() for pager in PAGERS} if args.rules else {}
    try:
        users = [fake.add_user(f"UBENCH{n:02d}", f"responder{n}") for n in range(1, args.users + 1)]
        general = fake.add_channel("general", members=users)
        stakeholders = fake.add_channel("incidents")
        (workdir / "firehouse").mkdir()
        bot = BotProcess(fake=fake, workdir=workdir / "firehouse",
                         config=f'stakeholder_channel = "{stakeholders}"\nchannel_prefix = "inc"\n')
        setup = Setup(fake=fake, bare=bare, bot=bot, users=users, general=general, stakeholders=stakeholders,
                      log_latency=args.log_latency_ms / 1000, latency=args.latency_ms / 1000, rounds=args.rounds)
        if args.rules:
            invitees = [fake.add_user(f"UROUTED{n:02d}", f"oncall{n}") for n in range(1, args.invitees + 1)]
            fake.add_usergroup(ROUTED_GROUP, invitees)
            for stand_in in stand_ins.values():
                stand_in.start()
            (workdir / "firehouse-rules").mkdir()
            routed = routed_bot(fake, workdir / "firehouse-rules", stakeholders=stakeholders, stand_ins=stand_ins)
            bot.start()
            routed.start()
            print("Declarations with routing rules against without: two `firehouse serve` processes, both served by")
            print("firehouse.server.serve_http (waitress), against the fake Slack on 127.0.0.1; batches of"
                  f" {args.users} sent at once,")
            print("to one then the other, each first every other round; ack = request sent → response received")
            scenario_rules(setup, routed, list(stand_ins.values()), invitees)
            print(f"\n({time.monotonic() - started:.0f} s)")
            return
        bare.start()
        bot.start()
        print("Ack latency of /incident: `firehouse serve` against a bare Bolt app that only acks, both served by")
        print("firehouse.server.serve_http (waitress) in their own process, against the fake Slack on 127.0.0.1;")
        print(f"batches of {args.users} sent at once, alternating bare, firehouse, bare, …; ack = request sent →"
              " response received")
        if args.only in (None, "log"):
            scenario_log(setup)
        if args.only in (None, "declare"):
            scenario_declare(setup)
        print(f"\n({time.monotonic() - started:.0f} s)")
    finally:
        if bot is not None:
            bot.stop()
        if routed is not None:
            routed.stop()
        for stand_in in stand_ins.values():
            stand_in.stop()
        bare.stop()
        fake.stop()
        if args.keep:
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
