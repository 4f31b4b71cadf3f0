from datetime import UTC, datetime, timedelta, timezone

import pytest

from firehouse.domain.times import duration, hhmm, parse_moment, stamp

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("30m ago", NOW - timedelta(minutes=30)),
    ("2h ago", NOW - timedelta(hours=2)),
    ("1D AGO", NOW - timedelta(days=1)),
    ("45s ago", NOW - timedelta(seconds=45)),
    ("2026-11-23T13:05Z", datetime(2026, 11, 23, 13, 5, tzinfo=UTC)),
    ("2026-11-23 13:05", datetime(2026, 11, 23, 13, 5, tzinfo=UTC)),
    ("2026-11-23T14:05+02:00", datetime(2026, 11, 23, 12, 5, tzinfo=UTC)),
])
def test_moments_people_type(text, expected):
    moment = parse_moment(text, now=NOW)
    assert moment == expected and moment.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "30 minutes ago", "", "2026-13-01", "in 5m"])
def test_unreadable_moments_are_refused(text):
    with pytest.raises(ValueError, match="is not a time"):
        parse_moment(text, now=NOW)


def test_future_moments_are_refused():
    with pytest.raises(ValueError, match="future"):
        parse_moment("2026-11-23T15:00Z", now=NOW)


@pytest.mark.parametrize(("seconds", "shown"), [(42, "42s"), (60, "1m"), (3900, "1h 05m"), (93600, "1d 2h")])
def test_durations(seconds, shown):
    assert duration(NOW, NOW + timedelta(seconds=seconds)) == shown


def test_unknown_ends_show_a_dash():
    assert duration(None, NOW) == "-" and duration(NOW, None) == "-"
    assert duration(NOW, NOW.astimezone(timezone(timedelta(hours=3)))) == "0s"


PLUS_TWO = timezone(timedelta(hours=2))


def test_a_time_without_an_offset_is_utc_even_on_a_server_in_another_zone(server_in_cet):
    assert parse_moment("2026-11-23 13:05", now=NOW) == datetime(2026, 11, 23, 13, 5, tzinfo=UTC)


def test_a_time_with_an_offset_is_converted_to_utc(server_in_cet):
    moment = parse_moment("2026-11-23T14:05+02:00", now=NOW)
    assert moment.utcoffset() == timedelta(0) and stamp(moment) == "2026-11-23 12:05 UTC"


def test_moments_are_shown_in_utc_whatever_offset_they_carry(server_in_cet):
    moment = datetime(2026, 11, 24, 1, 5, tzinfo=PLUS_TWO)
    assert (stamp(moment), hhmm(moment)) == ("2026-11-23 23:05 UTC", "23:05 UTC")


def test_an_unreadable_moment_is_quoted_up_to_40_characters():
    with pytest.raises(ValueError) as err:
        parse_moment("x" * 50, now=NOW)
    assert str(err.value) == f"`{'x' * 40}` is not a time like 2026-11-23T14:05Z or 30m ago"


def test_a_minute_of_clock_skew_is_tolerated_and_no_more():
    assert parse_moment("2026-11-23T14:01Z", now=NOW) == NOW + timedelta(minutes=1)
    with pytest.raises(ValueError, match="^that time is in the future$"):
        parse_moment("2026-11-23T14:01:30Z", now=NOW)
