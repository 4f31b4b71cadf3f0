"""`/incident` text → command dataclasses: every subcommand's fields, refusals and their forms, limits."""

import random
import string

import pytest

from firehouse.bolt import grammar
from firehouse.bolt.grammar import (
    AssignRole,
    ChangeCause,
    ChangeClass,
    ChangeSeverity,
    ChangeStatus,
    Declare,
    DraftNotice,
    Freeze,
    HandOver,
    LiftFirebreak,
    ListIncidents,
    Log,
    NotReportable,
    OpenDeclareModal,
    OpenSnapshotForm,
    PostUpdate,
    PullFirebreak,
    RecordFacts,
    RecordFirebreak,
    Resolve,
    SetAware,
    SetDetected,
    ShowClock,
    ShowFirebreaks,
    ShowHelp,
    ShowRoles,
    ShowSnapshots,
    ShowSummary,
    ShowTimeline,
)
from firehouse.bolt.table import COMMANDS, parse
from firehouse.domain.classes import Catalog, IncidentClass
from firehouse.domain.facts import FACTS, MAX_FACT
from firehouse.domain.lifecycle import Status
from firehouse.domain.model import MAX_TEXT, MAX_TITLE
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError


def p(text: str):
    return parse(text, catalog=Catalog()).command


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


NASTY = ["", " ", "\x00", "\u202e", "declare", "declare sev", "sev1", "captain <@", "captain <@>", "<@U1|",
         "declare " + "x" * 100_000, "log " + "🔥" * 5000, "declare sev1 data", "\t\n", "declare\u00a0sev1 x",
         "captain <@U1|<@U2>>", "log <!everyone>", "declare sev1\x00 x"]


@pytest.mark.parametrize("text", NASTY)
def test_parse_never_crashes_on_nasty_text(text):
    try:
        p(text)
    except UsageError as err:
        assert "Usage: `/incident" in err.reply


def test_parse_never_crashes_on_random_text():
    rng = random.Random(20261123)
    alphabet = string.printable + "<>@|!#&🔥é\u00a0\u200b"
    words = ["declare", "captain", "log", "timeline", "list", "help", "sev1", "sev9", "data", "<@U1>", "<!here>"]
    for _ in range(5000):
        parts = [rng.choice(words) if rng.random() < 0.5 else
                 "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 6))]
        try:
            p(" ".join(parts))
        except UsageError:
            pass


# --- every subcommand, field by field ----------------------------------------------------------------

# A deployment with its own classes, causes and roles: forms and choices must come from it, not the defaults.
CUSTOM = Catalog(
    classes={"hallucination": IncidentClass("hallucination", "made-up facts", ("product",)),
             "leak": IncidentClass("leak", "data left the tenant", ("legal",), private=True)},
    causes={"vendor": "the model vendor changed something", "drift": "the inputs drifted"},
    roles=("ic", "scribe"),
)
ALL_FACTS = ", ".join(FACTS)


def refused(text: str, catalog: Catalog | None = None) -> UsageError:
    """The UsageError that parsing `text` raises."""
    with pytest.raises(UsageError) as err:
        parse(text, catalog=catalog or Catalog())
    return err.value


@pytest.mark.parametrize(("text", "expected"), [
    ("roles", ShowRoles()), ("roles please", ShowRoles()), ("summary", ShowSummary()), ("summary now", ShowSummary()),
    ("timeline all", ShowTimeline()), ("list everything", ListIncidents()), ("help me", ShowHelp()),
])
def test_subcommands_without_words_ignore_what_follows(text, expected):
    assert p(text) == expected


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
    assert (err.problem, err.form) == ("`legal` is not a role: use one of ic, scribe.", "/incident role <ic|scribe> @user")


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


@pytest.mark.parametrize("rest", ["--waive-notice", "fixed --waive-notice", "fixed --waive-notice \t ", "--waive-notice\n"])
def test_resolve_refuses_a_waiver_without_a_reason(rest):
    with pytest.raises(UsageError) as err:
        grammar.resolve(rest, Catalog(), RESOLVE_FORM)
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


# detected and aware

@pytest.mark.parametrize(("verb", "command"), [("detected", SetDetected), ("aware", SetAware)])
def test_detected_and_aware_keep_the_time_text_for_the_service(verb, command):
    assert p(f"{verb} 2026-11-23T14:05Z") == command("2026-11-23T14:05Z")
    assert p(f"{verb}   30m  ago ") == command("30m  ago")
    assert p(f"{verb} " + "t" * 60) == command("t" * 60)


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


# snapshot

SNAPSHOT_FORM = "/incident snapshot [<key>=<value> …]"
EVIDENCE_AS = "Give evidence as `key=value`, like `model=gpt-4o-2024-08-06 output=…`;"


@pytest.mark.parametrize(("text", "expected"), [
    ("snapshot", OpenSnapshotForm()),
    ("snapshot trace=abc123", Freeze((("trace", "abc123"),))),
    ("snapshot Model=gpt-4o-2024-08-06  output=Refund issued <!channel> {{ x }} ",
     Freeze((("model", "gpt-4o-2024-08-06"), ("output", "Refund issued <!channel> {{ x }}")))),
    ("snapshot url=https://x.test/?a=b supersedes=2", Freeze((("url", "https://x.test/?a=b"), ("supersedes", "2")))),
    ("snapshot a.b-c_9=1", Freeze((("a.b-c_9", "1"),))),
    ("snapshot " + "k" * 40 + "=v", Freeze((("k" * 40, "v"),))),
    ("snapshot output=" + "v" * 3000, Freeze((("output", "v" * 3000),))),
])
def test_snapshot_freezes_free_key_value_fields_or_opens_the_form(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("snapshot =x", "A field name is missing before `=`."),
    ("snapshot model =x", "Write `model=<value>` with no space before `=`."),
    ("snapshot hello model=x", f"{EVIDENCE_AS} `hello` is not one."),
    ("snapshot <!here>=x", f"{EVIDENCE_AS} `&lt;!here&gt;=x` is not one."),
    ("snapshot " + "k" * 41 + "=v", f"{EVIDENCE_AS} `{'k' * 40}` is not one."),
    ("snapshot model= output=x", "The field `model` is empty; leave it out or give it a value."),
    ("snapshot Model=a model=b", "The field `model` is given twice."),
    ("snapshot output=" + "v" * 3001, "The field output is 3,001 characters long; keep it to 3,000."),
])
def test_snapshot_refuses_fields_it_cannot_read(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, SNAPSHOT_FORM)


def test_snapshot_keeps_an_equals_sign_inside_a_value():
    assert p("snapshot output=2 + 2 = 5") == Freeze((("output", "2 + 2 = 5"),))


def test_snapshots_lists_what_was_frozen():
    assert p("snapshots all") == ShowSnapshots()


# firebreak

FIREBREAK_FORM = "/incident firebreak [<name> [note] | lift <name|#n> [note] | record <kind> <target> [note]]"
KINDS = "kill-switch, rollback, fallback-human, degrade, rate-limit, tool-disable, traffic-split"


@pytest.mark.parametrize(("text", "expected"), [
    ("firebreak", ShowFirebreaks()),
    ("firebreak Kill-Chat", PullFirebreak("kill-chat", "")),
    ("firebreak kill_chat9   paging <!here> {{ x }} ", PullFirebreak("kill_chat9", "paging <!here> {{ x }}")),
    ("firebreak " + "n" * 40, PullFirebreak("n" * 40, "")),
    ("firebreak LIFT #3  all clear", LiftFirebreak("#3", "all clear")),
    ("firebreak lift kill-chat", LiftFirebreak("kill-chat", "")),
    ("firebreak record Rollback prompt-v12  done by hand ", RecordFirebreak("rollback", "prompt-v12", "done by hand")),
    ("firebreak RECORD tool-disable refunds", RecordFirebreak("tool-disable", "refunds", "")),
    ("firebreak record degrade " + "t" * 200, RecordFirebreak("degrade", "t" * 200, "")),
    ("firebreak kill " + "n" * MAX_TEXT, PullFirebreak("kill", "n" * MAX_TEXT)),
])
def test_firebreak_shows_pulls_lifts_or_records(text, expected):
    assert p(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("firebreak bad!name", "`bad!name` is not a firebreak name."),
    ("firebreak -x", "`-x` is not a firebreak name."),
    ("firebreak <!channel>", "`&lt;!channel&gt;` is not a firebreak name."),
    ("firebreak " + "n" * 41, f"`{'n' * 40}` is not a firebreak name."),
    ("firebreak kill " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
    ("firebreak lift", "The firebreak to lift (its name or #number) is missing."),
    ("firebreak lift " + "n" * 41, "The firebreak to lift (its name or #number) is 41 characters long; keep it to 40."),
    ("firebreak lift #2 " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
    ("firebreak record", f"Which firebreak kind? One of: {KINDS}."),
    ("firebreak record nuke prod", f"`nuke` is not a firebreak kind: use one of {KINDS}."),
    ("firebreak record rollback", "The target is missing."),
    ("firebreak record rollback " + "t" * 201, "The target is 201 characters long; keep it to 200."),
    ("firebreak record rollback v1 " + "n" * (MAX_TEXT + 1), "The note is 3,001 characters long; keep it to 3,000."),
])
def test_firebreak_refuses_what_it_cannot_do(text, problem):
    err = refused(text)
    assert (err.problem, err.form) == (problem, FIREBREAK_FORM)


# the parsers, called directly as table.py calls them

def test_a_parser_names_the_form_it_is_given():
    with pytest.raises(UsageError) as err:
        grammar.change_class("nope", Catalog(), "the form")
    assert err.value.form == "the form"


def test_a_parser_for_a_subcommand_without_words_makes_its_dataclass_whatever_follows():
    parser = grammar.nothing(ShowRoles)  # made here, not at import: the table's own parsers are made at import
    assert parser("anything at all", Catalog(), "form") == ShowRoles()
    assert parser("", Catalog(), "form") == ShowRoles()


@pytest.mark.parametrize("row", [row for row in COMMANDS if row.words], ids=lambda row: row.words)
def test_parse_never_crashes_on_random_text_after_any_subcommand(row):
    rng = random.Random(row.words)
    alphabet = string.printable + "<>@|!#&=🔥é\u00a0\u200b"
    words = ["sev1", "2", "data", "scribe", "gdpr", "not-reportable", "product", "final", "feature=", "model=x",
             "--waive-notice", "<@U1>", "<!here>", "{{", "}}", "=", "lift", "record", "rollback", "#2", "trace=", " = "]
    for _ in range(600):
        parts = [rng.choice(words) if rng.random() < 0.5 else
                 "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(0, 6))]
        try:
            p(" ".join([row.words, *parts]))
        except UsageError as err:
            assert err.form == row.usage(Catalog())


@pytest.mark.parametrize("text, problem", [
    ("comms legal fact_sheet gdpr dora", "Name one regime; `dora` is a second."),
    ("comms legal gdpr initial final", "Name one stage; `final` is a second."),
])
def test_comms_refuses_a_second_regime_or_stage_rather_than_guessing(text, problem):
    assert refused(text).problem == problem
