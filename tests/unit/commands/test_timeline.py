"""`/incident detected|aware|update|log`: time text kept for the service, required text as data within limits."""

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.timeline import Log, PostUpdate, SetMoment
from firehouse.domain.model import MAX_TEXT


# detected and aware

@pytest.mark.parametrize("verb", ["detected", "aware"])
def test_detected_and_aware_keep_the_time_text_for_the_service(verb):
    assert p(f"{verb} 2026-11-23T14:05Z") == SetMoment(verb, "2026-11-23T14:05Z")
    assert p(f"{verb}   30m  ago ") == SetMoment(verb, "30m  ago")
    assert p(f"{verb} " + "t" * 60) == SetMoment(verb, "t" * 60)


@pytest.mark.parametrize("verb", ["detected", "aware"])
def test_detected_and_aware_refuse_a_missing_or_overlong_time(verb):
    form = f"/incident {verb} <ISO time | 30m ago>"
    err = refused(verb)
    assert (err.problem, err.form) == ("The time is missing.", form)
    err = refused(f"{verb} " + "t" * 61)
    assert (err.problem, err.form) == ("The time is 61 characters long; keep it to 60.", form)


# update, log, declare: required text

@pytest.mark.parametrize(("verb", "what", "command"), [("update", "update", PostUpdate),
                                                       ("log", "timeline entry", Log)])
def test_update_and_log_keep_text_as_data_up_to_a_section_block(verb, what, command):
    assert p(f"{verb} <!channel> said {{{{ x }}}} & more") == command("<!channel> said {{ x }} & more")
    assert p(f"{verb} " + "u" * MAX_TEXT) == command("u" * MAX_TEXT)
    form = f"/incident {verb} <text>"
    err = refused(f"{verb} " + "u" * (MAX_TEXT + 1))
    assert (err.problem, err.form) == (f"The {what} is 3,001 characters long; keep it to 3,000.", form)
    err = refused(verb)
    assert (err.problem, err.form) == (f"The {what} is missing.", form)
