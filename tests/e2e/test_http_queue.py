"""A burst of slash commands at once is acked without a line of log per queued request; how many requests wait
for a worker thread is a gauge on /metrics instead."""

from __future__ import annotations

import re
import threading
import urllib.request

from botprocess import read_log
from slackreq import Reply
from warroom import ALICE

BURST = 20


def test_twenty_commands_at_the_same_moment_are_all_acked(fake, bot):
    start, replies = threading.Barrier(BURST), [None] * BURST

    def type_help(n: int) -> None:
        start.wait()
        replies[n] = bot.command("help", user=ALICE, channel=fake.general)

    threads = [threading.Thread(target=type_help, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert all(isinstance(reply, Reply) and reply.status == 200 for reply in replies), replies
    assert all("/incident declare" in reply.text for reply in replies)


def test_a_queued_request_is_not_a_warning_in_the_log(bot):
    log = read_log(bot.log_path)
    assert "Task queue depth" not in log
    assert "Traceback" not in log


def test_the_queue_is_a_gauge_of_the_slack_port(bot):
    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert "# TYPE firehouse_http_queue_depth gauge" in metrics
    (value,) = re.findall(r'^firehouse_http_queue_depth\{server="slack"\} (\S+)$', metrics, re.MULTILINE)
    assert float(value) >= 0
