"""Scale-out: several replicas on one PostgreSQL database, one scheduler leader, no doubled posts."""

import time

from botprocess import BotProcess

from warroom import ALICE, Room

CONFIG = 'stakeholder_channel = "{stakeholders}"\n[cadence]\nsev1 = "4s"\n[status_board]\nfirst_hour = ["1h"]\n'


def replica(fake, workdir, postgres_url) -> BotProcess:
    workdir.mkdir(exist_ok=True)
    return BotProcess(fake=fake, workdir=workdir, config=CONFIG.format(stakeholders=fake.stakeholders),
                      env={"FIREHOUSE_DATABASE_URL": postgres_url})


def reminders(fake, room: Room) -> list[dict]:
    return [m for m in fake.messages(room.id) if "no update came by" in m["text"]]


def posted_at(fake, room: Room, words: str) -> list[float]:
    """When Slack received the board's posts of `words` in the room (seconds, monotonic)."""
    return [c.at for c in fake.calls("chat.postMessage")
            if c.status == 200 and c.args.get("channel") == room.id and words in str(c.args.get("text"))]


def assert_one_per_cycle(fake, room: Room) -> None:
    for words in ("owed an update", "no update came by"):
        times = posted_at(fake, room, words)
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert all(gap > 2.0 for gap in gaps), f"'{words}' went out twice in one 4-second cycle: {gaps}"


def test_two_replicas_post_each_prompt_once_and_the_survivor_takes_over(fake, tmp_path, postgres_url):
    with replica(fake, tmp_path / "a", postgres_url) as first, replica(fake, tmp_path / "b", postgres_url) as second:
        time.sleep(1)  # the first replica has taken the lead by now
        url = fake.new_response_url()
        second.command("declare sev1 output Pricing agent quotes zero", user=ALICE, channel=fake.general,
                       response_url=url)  # declared through the replica that does not lead
        room = Room(fake, second, fake.wait_for(lambda: fake.responses(url))[0]["text"].split("<#")[1].split(">")[0])
        fake.wait_for(lambda: len(reminders(fake, room)) >= 3, timeout=20)
        assert_one_per_cycle(fake, room)

        first.kill()  # the leader dies; the other replica takes over within a few seconds
        before = len(reminders(fake, room))
        fake.wait_for(lambda: len(reminders(fake, room)) >= before + 2, timeout=25)
        assert_one_per_cycle(fake, room)
        assert "now leads the scheduler" in second.log()
