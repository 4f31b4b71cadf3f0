"""`/incident` text → the incident's commands: declaring, captain and roles, severity, class, cause, status and
resolve."""

import pytest
from unit.commands.reading import CUSTOM, p, refused

from firehouse.bolt.table import parse
from firehouse.commands.incidents import (
    AssignRole, ChangeCause, ChangeClass, ChangeSeverity, ChangeStatus, Declare, HandOver, ListIncidents,
    OpenDeclareModal, Resolve, ShowHelp,
)
from firehouse.commands.timeline import Log, ShowTimeline
from firehouse.domain.classes import Catalog
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError


def test_bare_command_opens_the_modal():
    assert p("") == OpenDeclareModal()
    assert p("   \n ") == OpenDeclareModal()


@pytest.mark.parametrize(("text", "expected"), [
    ("declare Bot is rude", Declare("Bot is rude", Severity.SEV3, None)),
    ("declare sev1 Bot is rude", Declare("Bot is rude", Severity.SEV1, None)),
    ("DECLARE SEV2 Data  leak   via logs", Declare("leak via logs", Severity.SEV2, "data")),
    ("declare sev2 output Bot is rude", Declare("Bot is rude", Severity.SEV2, "output")),
    ("declare action Agent refunded", Declare("Agent refunded", Severity.SEV3, "action")),
    ("declare severe outage", Declare("severe outage", Severity.SEV3, None)),
    ("declare <!channel> is down", Declare("<!channel> is down", Severity.SEV3, None)),
])
def test_declare_reads_optional_severity_and_class_then_the_title(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("text", ["captain <@U123ABC>", "captain <@U123ABC|bob>", "captain  <@U123ABC|bob.smith> "])
def test_captain_accepts_both_mention_forms(text):
    assert p(text) == HandOver("U123ABC")


@pytest.mark.parametrize("text", ["captain", "captain bob", "captain @bob", "captain <@U1> <@U2>",
                                  "captain <#C123|general>", "captain <!channel>"])
def test_captain_without_exactly_one_mention_shows_the_form(text):
    with pytest.raises(UsageError) as err:
        p(text)
    assert "/incident captain @user" in err.value.reply


def test_log_timeline_list_help():
    assert p("log  rolled back  v42 ") == Log("rolled back  v42")
    assert p("timeline") == ShowTimeline()
    assert p("list") == ListIncidents()
    assert p("help") == ShowHelp()


def test_unknown_subcommand_shows_help_with_the_word_escaped():
    result = p("<!channel> please")
    assert isinstance(result, ShowHelp)
    assert "&lt;!channel&gt;" in result.problem


# sev

@pytest.mark.parametrize(("level", "severity"), [
    ("1", Severity.SEV1), ("2", Severity.SEV2), ("3", Severity.SEV3),
    ("sev1", Severity.SEV1), ("SEV2", Severity.SEV2), ("Sev3", Severity.SEV3),
])
def test_sev_reads_the_level_as_a_number_or_a_sev_word(level, severity):
    assert p(f"sev {level}") == ChangeSeverity(severity, "")


def test_sev_keeps_the_reason_text_after_the_level():
    assert p("sev 1   customers  see <!channel> and {{ x }} ") == ChangeSeverity(
        Severity.SEV1, "customers  see <!channel> and {{ x }}")


@pytest.mark.parametrize(("text", "problem"), [
    ("sev", "Which severity? One of: 1, 2, 3."),
    ("sev 4 worse", "`4` is not a severity: use one of 1, 2, 3."),
    ("sev sev0", "`sev0` is not a severity: use one of 1, 2, 3."),
    ("sev high", "`high` is not a severity: use one of 1, 2, 3."),
    ("sev <!channel>", "`&lt;!channel&gt;` is not a severity: use one of 1, 2, 3."),
    ("sev {{x}}", "`{{x}}` is not a severity: use one of 1, 2, 3."),
    ("sev " + "9" * 50, f"`{'9' * 40}` is not a severity: use one of 1, 2, 3."),
])
def test_sev_refuses_a_level_that_is_not_one_of_three(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, "/incident sev <1|2|3> [reason]")


def test_sev_reason_may_be_as_long_as_a_section_block_but_no_longer():
    assert p("sev 2 " + "r" * MAX_TEXT).reason == "r" * MAX_TEXT
    err = refused("sev 2 " + "r" * (MAX_TEXT + 1))
    assert err.problem == "The reason is 3,001 characters long; keep it to 3,000."
    assert err.form == "/incident sev <1|2|3> [reason]"


# role and captain

@pytest.mark.parametrize(("text", "expected"), [
    ("role scribe <@U1>", AssignRole("scribe", "U1")),
    ("role COMMS <@U1|carol>", AssignRole("comms", "U1")),
    ("role legal    <@W9Z|dana.smith>  ", AssignRole("legal", "W9Z")),
])
def test_role_reads_a_catalogue_role_case_insensitively_and_one_mention(text, expected):
    assert p(text) == expected


def test_role_choices_come_from_the_deployments_catalogue():
    assert parse("role IC <@U2>", catalog=CUSTOM).command == AssignRole("ic", "U2")
    err = refused("role legal <@U2>", CUSTOM)
    assert (err.problem, err.form) == ("`legal` is not a role: use one of ic, scribe.",
                                       "/incident role <ic|scribe> @user")


@pytest.mark.parametrize(("text", "problem"), [
    ("role", "Which role? One of: scribe, comms, legal."),
    ("role boss <@U1>", "`boss` is not a role: use one of scribe, comms, legal."),
    ("role scribe", "Name one person with an @-mention."),
    ("role scribe bob", "Name one person with an @-mention. `bob` is not someone I can find."),
    ("role scribe <!here>", "Name one person with an @-mention. `&lt;!here&gt;` is not someone I can find."),
    ("role scribe <@U1> <@U2>",
     "Name one person with an @-mention. `&lt;@U1&gt; &lt;@U2&gt;` is not someone I can find."),
])
def test_role_without_a_known_role_and_one_mention_is_refused(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, "/incident role <scribe|comms|legal> @user")


@pytest.mark.parametrize(("text", "problem"), [
    ("captain", "Name one person with an @-mention."),
    ("captain <!channel>", "Name one person with an @-mention. `&lt;!channel&gt;` is not someone I can find."),
    ("captain {{ user }}", "Name one person with an @-mention. `{{ user }}` is not someone I can find."),
    ("captain " + "b" * 60, f"Name one person with an @-mention. `{'b' * 40}` is not someone I can find."),
    ("captain <@u1>", "Name one person with an @-mention. `&lt;@u1&gt;` is not someone I can find."),
])
def test_captain_says_what_it_could_not_find(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, "/incident captain @user")


def test_a_refusal_reply_is_the_problem_then_the_usage_form():
    assert refused("captain bob").reply == ("Name one person with an @-mention. `bob` is not someone I can find.\n"
                                           "Usage: `/incident captain @user`")


# class, cause, status

@pytest.mark.parametrize(("text", "expected"), [
    ("class data", ChangeClass("data")), ("class COMPLIANCE", ChangeClass("compliance")),
    ("cause tool-loop", ChangeCause("tool-loop")), ("cause Prompt", ChangeCause("prompt")),
    ("status identified", ChangeStatus(Status.IDENTIFIED)), ("status MONITORING", ChangeStatus(Status.MONITORING)),
    ("status Resolved", ChangeStatus(Status.RESOLVED)),
])
def test_class_cause_and_status_take_one_choice_case_insensitively(text, expected):
    assert p(text) == expected


def test_status_is_a_status_not_just_its_word():
    assert p("status contained").status is Status.CONTAINED


CLASS_FORM = "/incident class <output|action|data|cost|gate|compliance>"
CAUSE_FORM = "/incident cause <prompt|model|retrieval|config|tool-loop|input-drift|injection|eval-drift|unknown>"
STATUS_FORM = "/incident status <investigating|identified|contained|monitoring|resolved>"


CLASSES = "output, action, data, cost, gate, compliance"
CAUSES = "prompt, model, retrieval, config, tool-loop, input-drift, injection, eval-drift, unknown"
STATUSES = "investigating, identified, contained, monitoring, resolved"


@pytest.mark.parametrize(("text", "problem", "form"), [
    ("class", f"Which class? One of: {CLASSES}.", CLASS_FORM),
    ("class outage", f"`outage` is not a class: use one of {CLASSES}.", CLASS_FORM),
    ("class <!everyone>", f"`&lt;!everyone&gt;` is not a class: use one of {CLASSES}.", CLASS_FORM),
    ("cause", f"Which cause? One of: {CAUSES}.", CAUSE_FORM),
    ("cause gremlins", f"`gremlins` is not a cause: use one of {CAUSES}.", CAUSE_FORM),
    ("status", f"Which status? One of: {STATUSES}.", STATUS_FORM),
    ("status closed", f"`closed` is not a status: use one of {STATUSES}.", STATUS_FORM),
])
def test_class_cause_and_status_refuse_words_outside_their_choices(text, problem, form):
    err = refused(text)
    assert (err.problem, err.form) == (problem, form)


def test_class_and_cause_choices_come_from_the_deployments_catalogue():
    assert parse("class Hallucination", catalog=CUSTOM).command == ChangeClass("hallucination")
    assert parse("cause VENDOR", catalog=CUSTOM).command == ChangeCause("vendor")
    err = refused("class data", CUSTOM)
    assert (err.problem, err.form) == ("`data` is not a class: use one of hallucination, leak.",
                                       "/incident class <hallucination|leak>")
    err = refused("cause", CUSTOM)
    assert (err.problem, err.form) == ("Which cause? One of: vendor, drift.", "/incident cause <vendor|drift>")


def test_a_refused_choice_shows_at_most_forty_characters_of_it():
    assert refused("class " + "z" * 60).problem.startswith(f"`{'z' * 40}` is not a class")


# resolve

RESOLVE_FORM = "/incident resolve [summary] [--waive-notice <reason>]"


@pytest.mark.parametrize(("text", "expected"), [
    ("resolve", Resolve("", "")),
    ("resolve rolled back the prompt", Resolve("rolled back the prompt", "")),
    ("resolve rolled back  --waive-notice  nobody saw the output ", Resolve("rolled back", "nobody saw the output")),
    ("resolve --waive-notice internal users only", Resolve("", "internal users only")),
    ("resolve <!channel> {{ done }} --waive-notice <!here>", Resolve("<!channel> {{ done }}", "<!here>")),
])
def test_resolve_reads_a_summary_and_an_optional_waiver(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize("rest", ["--waive-notice", "fixed --waive-notice", "fixed --waive-notice \t ",
                                  "--waive-notice\n"])
def test_resolve_refuses_a_waiver_without_a_reason(rest):
    with pytest.raises(UsageError) as err:
        Resolve.parse(rest, Catalog(), RESOLVE_FORM)
    assert (err.value.problem, err.value.form) == (
        "Say why no customer notice is needed after `--waive-notice`.", RESOLVE_FORM)


def test_resolve_refuses_a_bare_waiver_typed_as_a_command():
    err = refused("resolve fixed --waive-notice")
    assert (err.problem, err.form) == ("Say why no customer notice is needed after `--waive-notice`.", RESOLVE_FORM)


@pytest.mark.parametrize(("text", "what"), [
    ("resolve {} --waive-notice ok", "summary"),
    ("resolve fixed --waive-notice {}", "reason"),
])
def test_resolve_summary_and_waiver_are_each_limited_to_a_section_block(text, what):
    fits = p(text.format("s" * MAX_TEXT))
    assert "s" * MAX_TEXT in (fits.summary, fits.waiver)
    err = refused(text.format("s" * (MAX_TEXT + 1)))
    assert (err.problem, err.form) == (f"The {what} is 3,001 characters long; keep it to 3,000.", RESOLVE_FORM)


DECLARE_FORM = "/incident declare [sev1|sev2|sev3] [class] <title>"


def test_declare_title_fits_a_header_block_exactly_and_no_more():
    assert p("declare " + "t" * MAX_TITLE).title == "t" * MAX_TITLE
    err = refused("declare sev1 " + "t" * (MAX_TITLE + 1))
    assert (err.problem, err.form) == ("The title is 151 characters long; keep it to 150.", DECLARE_FORM)


@pytest.mark.parametrize(("text", "problem"), [
    ("declare", "The title is missing."),
    ("declare sev1 data", "The title is missing."),
    ("declare sev4 Bot is rude", "`sev4` is not a severity: use sev1, sev2 or sev3."),
    ("declare SEV-1 Bot is rude", "`SEV-1` is not a severity: use sev1, sev2 or sev3."),
    ("declare sev<!> x", "`sev&lt;!&gt;` is not a severity: use sev1, sev2 or sev3."),
    ("declare sev" + "1" * 30 + " x", f"`sev{'1' * 17}` is not a severity: use sev1, sev2 or sev3."),
])
def test_declare_refuses_a_mistyped_severity_or_a_missing_title(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, DECLARE_FORM)


def test_declare_reads_classes_from_the_deployments_catalogue():
    assert parse("declare sev2 LEAK Tenant saw another's data", catalog=CUSTOM).command == Declare(
        "Tenant saw another's data", Severity.SEV2, "leak")
    assert parse("declare data Tenant saw", catalog=CUSTOM).command == Declare("data Tenant saw", Severity.SEV3, None)
