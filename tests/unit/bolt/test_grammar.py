import random
import string

import pytest

from firehouse.domain.classes import Catalog
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError
from firehouse.bolt.grammar import Declare, HandOver, ListIncidents, Log, OpenDeclareModal, ShowHelp, ShowTimeline
from firehouse.bolt.table import parse


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
