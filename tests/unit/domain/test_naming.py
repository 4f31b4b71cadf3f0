import re
from datetime import UTC, datetime

import pytest

from firehouse.domain.naming import MAX_CHANNEL_NAME, slugify, war_room_name

AT = datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
SLACK_NAME = re.compile(r"^[a-z0-9-]{1,80}$")


def test_name_is_prefix_date_and_slug():
    assert war_room_name(prefix="inc", declared_at=AT, title="Refund bot promises 100% refunds!") == (
        "inc-20261123-refund-bot-promises-100-refunds"
    )


def test_accents_are_folded_and_symbols_dropped():
    assert slugify("Réponses fausses — Modèle <!channel> v2") == "reponses-fausses-modele-channel-v2"


@pytest.mark.parametrize("title", ["🔥🔥🔥", "日本語のタイトル", "---", "<>&"])
def test_a_title_without_latin_letters_still_gets_a_name(title):
    assert war_room_name(prefix="inc", declared_at=AT, title=title) == "inc-20261123-incident"


@pytest.mark.parametrize("attempt", [0, 1, 9, 123])
def test_long_titles_are_cut_to_slacks_limit_with_room_for_the_suffix(attempt):
    name = war_room_name(prefix="incident-room", declared_at=AT, title="word " * 100, attempt=attempt)
    assert len(name) <= MAX_CHANNEL_NAME
    assert SLACK_NAME.match(name)
    assert not name.endswith("--")
    if attempt:
        assert name.endswith(f"-{attempt + 1}")


def test_retries_after_name_taken_give_different_names():
    names = {war_room_name(prefix="inc", declared_at=AT, title="same", attempt=n) for n in range(10)}
    assert len(names) == 10


def test_symbols_at_either_end_leave_no_hyphen_behind():
    assert slugify("¡¡Refunds gone wrong!!") == "refunds-gone-wrong"
    assert slugify("  --- spaced ---  ") == "spaced"


def test_a_title_of_only_symbols_still_names_the_room():
    assert war_room_name(prefix="inc", declared_at=AT, title="!!! ???") == "inc-20261123-incident"


def test_a_long_title_fills_the_name_to_exactly_slacks_limit():
    name = war_room_name(prefix="inc", declared_at=AT, title="a" * 200)
    assert name == "inc-20261123-" + "a" * 67 and len(name) == MAX_CHANNEL_NAME


def test_a_title_cut_at_a_word_break_drops_the_dangling_hyphen():
    name = war_room_name(prefix="inc", declared_at=AT, title="a" * 66 + " bcd")
    assert name == "inc-20261123-" + "a" * 66


def test_a_token_replaces_the_number_and_still_fits_slacks_limit():
    name = war_room_name(prefix="incident-room", declared_at=AT, title="word " * 100, attempt=12, token="a1b2c3")
    assert name.endswith("-a1b2c3") and len(name) <= MAX_CHANNEL_NAME and SLACK_NAME.match(name)
