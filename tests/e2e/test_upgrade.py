"""Upgrading in place: `firehouse serve` starts on release 0.1.0's database and finds every open incident."""

from __future__ import annotations

import json
import subprocess

from botprocess import BotProcess, firehouse_command
from warroom import ALICE
from fixtures import release

from firehouse.store import migrate


def test_serve_upgrades_a_release_0_1_0_database_and_lists_its_open_incidents(fake, tmp_path):
    release.load(f"sqlite:///{tmp_path / 'firehouse.db'}")  # where `firehouse serve` finds it by default
    bot = BotProcess(fake=fake, workdir=tmp_path, config=f'stakeholder_channel = "{fake.stakeholders}"\n')
    with bot:
        url = fake.new_response_url()
        reply = bot.command("list", user=ALICE, channel=fake.general, response_url=url)
        assert reply.status == 200, reply
        listed = json.dumps(reply.json() if reply.text else fake.wait_for(lambda: fake.responses(url))[0])
    opened = release.open_incidents(release.dumped())
    assert f"{len(opened)} open incidents" in listed
    for incident in opened:
        assert f"<#{incident['channel_id']}>" in listed
        assert ("private incident" if incident["private"] else incident["title"]) in listed
    assert "database schema upgraded from release 0.1.0's tables, no revision to revision" in bot.log()

    current = subprocess.run([*firehouse_command(), "db", "current"], cwd=tmp_path, env=bot.environment(),
                             capture_output=True, text=True, timeout=60, check=False)
    assert current.returncode == 0, current.stderr
    assert current.stdout == f"revision {migrate.head()} (head {migrate.head()}): up to date\n"
