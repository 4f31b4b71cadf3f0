"""`/incident fact|comms|clock`: facts as `key=value` runs, a notice's lane and words, the clock's decision."""

import pytest
from unit.commands.reading import p, refused

from firehouse.commands.notices import DraftNotice, NotReportable, RecordFacts, ShowClock
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.model import MAX_TEXT

ALL_FACTS = ", ".join(FACTS)


# fact

FACT_FORM = "/incident fact <key>=<value> …"


@pytest.mark.parametrize(("text", "facts"), [
    ("fact", ()),
    ("fact feature=chat", (("feature", "chat"),)),
    ("fact feature=chat assistant  model=gpt-5 (2026-01) ",
     (("feature", "chat assistant"), ("model", "gpt-5 (2026-01)"))),
    ("fact workaround=set mode=safe in settings", (("workaround", "set mode=safe in settings"),)),
    ("fact FEATURE=search Root_Cause=a=b", (("feature", "search"), ("root_cause", "a=b"))),
    ("fact measures=paged <!channel> {{ oncall }}", (("measures", "paged <!channel> {{ oncall }}"),)),
    ("fact feature=", (("feature", ""),)),
    ("fact recheck=x=feature=y", (("recheck", "x=feature=y"),)),
])
def test_fact_values_run_until_the_next_known_key(text, facts):
    assert p(text) == RecordFacts(facts)


@pytest.mark.parametrize(("text", "problem"), [
    ("fact colour=red", f"`colour` is not a fact I know. Facts: {ALL_FACTS}."),
    ("fact colour=red feature=chat", f"`colour` is not a fact I know. Facts: {ALL_FACTS}."),
    ("fact the colour=red", f"`the` is not a fact I know. Facts: {ALL_FACTS}."),
    ("fact <!channel>=x", f"`&lt;!channel&gt;` is not a fact I know. Facts: {ALL_FACTS}."),
    ("fact " + "k" * 50 + "=v", f"`{'k' * 40}` is not a fact I know. Facts: {ALL_FACTS}."),
    ("fact chat is broken", f"Facts: {ALL_FACTS}."),
    ("fact chat", f"Facts: {ALL_FACTS}."),
])
def test_fact_refuses_unknown_keys_naming_the_key(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, FACT_FORM)


def test_each_fact_value_is_limited_on_its_own():
    fits = "v" * MAX_FACT
    assert p(f"fact feature={fits} model={fits}") == RecordFacts((("feature", fits), ("model", fits)))
    err = refused(f"fact feature={fits} model={fits}v")
    assert (err.problem, err.form) == ("The fact model is 1,001 characters long; keep it to 1,000.", FACT_FORM)


@pytest.mark.parametrize(("text", "problem"), [
    ("fact =chat", "A fact name is missing before `=`. "),
    ("fact  = chat", "A fact name is missing before `=`. "),
    ("fact feature =chat", "Write `feature=<value>` with no space before `=`. "),
    ("fact Model  =  gpt", "Write `Model=<value>` with no space before `=`. "),
])
def test_fact_says_what_is_wrong_around_a_stray_equals_sign(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (f"{problem}Facts: {ALL_FACTS}.", FACT_FORM)


def test_fact_names_a_stray_word_before_a_known_key_as_unknown():
    assert refused("fact the feature=chat").problem == f"`the` is not a fact I know. Facts: {ALL_FACTS}."


# comms

COMMS_FORM = "/incident comms <product|legal> [template] [regime] [initial|intermediate|final]"


@pytest.mark.parametrize(("text", "expected"), [
    ("comms product", DraftNotice("product", None, None, None)),
    ("comms LEGAL", DraftNotice("legal", None, None, None)),
    ("comms legal gdpr initial", DraftNotice("legal", None, "gdpr", "initial")),
    ("comms legal Final my_tpl-2 DORA", DraftNotice("legal", "my_tpl-2", "dora", "final")),
    ("comms product intermediate apology", DraftNotice("product", "apology", None, "intermediate")),
    ("comms product " + "t" * 40, DraftNotice("product", "t" * 40, None, None)),
])
def test_comms_reads_a_lane_then_template_regime_and_stage_in_any_order(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("comms", "Which lane? One of: product, legal."),
    ("comms internal", "`internal` is not a lane: use one of product, legal."),
    ("comms gdpr legal", "`gdpr` is not a lane: use one of product, legal."),
    ("comms product apology outage", "I don't know what `outage` means here."),
    ("comms product apology!", "I don't know what `apology!` means here."),
    ("comms product <!Channel>", "I don't know what `&lt;!channel&gt;` means here."),
    ("comms product {{x}}", "I don't know what `{{x}}` means here."),
    ("comms product " + "t" * 41, f"I don't know what `{'t' * 40}` means here."),
])
def test_comms_refuses_an_unknown_lane_or_word(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, COMMS_FORM)


# clock

CLOCK_FORM = "/incident clock [<regime> not-reportable <reason>]"


def test_clock_alone_shows_the_deadlines():
    assert p("clock") == ShowClock()
    assert p("clock   ") == ShowClock()


@pytest.mark.parametrize(("text", "expected"), [
    ("clock gdpr not-reportable no personal data involved", NotReportable("gdpr", "no personal data involved")),
    ("clock NIS2  Not-Reportable   Under the threshold <!here> ", NotReportable("nis2", "Under the threshold <!here>")),
    ("clock eu_ai_act not-reportable " + "r" * MAX_TEXT, NotReportable("eu_ai_act", "r" * MAX_TEXT)),
])
def test_clock_records_that_a_regime_is_not_reportable_with_a_reason(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("clock gdpr", "Record a decision as `not-reportable` followed by the reason."),
    ("clock gdpr reportable because", "Record a decision as `not-reportable` followed by the reason."),
    ("clock gdpr not-reportable", "The reason is missing."),
    ("clock hipaa not-reportable x", "`hipaa` is not a regime: use one of gdpr, eu_ai_act, nis2, dora."),
    ("clock <!here> not-reportable x", "`&lt;!here&gt;` is not a regime: use one of gdpr, eu_ai_act, nis2, dora."),
    ("clock dora not-reportable " + "r" * (MAX_TEXT + 1), "The reason is 3,001 characters long; keep it to 3,000."),
])
def test_clock_refuses_a_decision_it_cannot_record(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, CLOCK_FORM)


@pytest.mark.parametrize("text, problem", [
    ("comms legal fact_sheet gdpr dora", "Name one regime; `dora` is a second."),
    ("comms legal gdpr initial final", "Name one stage; `final` is a second."),
])
def test_comms_refuses_a_second_regime_or_stage_rather_than_guessing(text, problem):
    assert refused(text).problem == problem
