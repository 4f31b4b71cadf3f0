"""Everything lives in the database: a restarted bot keeps war rooms, captains and timelines."""

import pytest
from botprocess import BotProcess

from warroom import ALICE, BOB, CAROL, Room


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> dict[str, str]:
    """The bot's database: the default SQLite file in its working directory, or a real PostgreSQL."""
    return {"FIREHOUSE_DATABASE_URL": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}


def test_war_rooms_survive_a_restart_and_keep_working(fake, tmp_path, database):
    config = f'stakeholder_channel = "{fake.stakeholders}"\n'
    with BotProcess(fake=fake, workdir=tmp_path, config=config, env=database) as first:
        url = fake.new_response_url()
        first.command("declare sev2 output Retriever serves stale prices", user=ALICE, channel=fake.general,
                      response_url=url)
        channel = fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0]
        room = Room(fake, first, channel)
        room.run(f"captain <@{BOB}>")
        room.run("log cache flushed", user=BOB)
        before = room.timeline()
        first.kill()  # no clean shutdown: what was acknowledged must already be on disk

    with BotProcess(fake=fake, workdir=tmp_path, config=config, env=database) as second:
        room = Room(fake, second, channel)
        assert room.timeline()[1:] == before[1:]
        assert room.run(f"captain <@{CAROL}>", user=BOB) == (
            f"Done: Fire captain handed over from <@{BOB}> to <@{CAROL}>.")
        assert room.run("log reindexed", user=CAROL).startswith("Logged")
        after = room.timeline()
        assert f"from <@{BOB}> to <@{CAROL}>" in after[-2]
        assert after[-1].endswith(f"<@{CAROL}>: reindexed")
