"""Any text after `/incident` parses or gives a usage error with its form; subcommands without words; parsers called
directly, as the table calls them."""

import random
import string

import pytest
from unit.commands.reading import p

from firehouse.bolt.table import COMMANDS
from firehouse.commands.grammar import nothing
from firehouse.commands.incidents import ChangeClass, ListIncidents, ShowHelp, ShowRoles
from firehouse.commands.timeline import ShowSummary, ShowTimeline
from firehouse.domain.classes import Catalog
from firehouse.errors import UsageError


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


@pytest.mark.parametrize(("text", "expected"), [
    ("roles", ShowRoles()), ("roles please", ShowRoles()), ("summary", ShowSummary()), ("summary now", ShowSummary()),
    ("timeline all", ShowTimeline()), ("list everything", ListIncidents()), ("help me", ShowHelp()),
])
def test_subcommands_without_words_ignore_what_follows(text, expected):
    assert p(text) == expected


# the parsers, called directly as table.py calls them

def test_a_parser_names_the_form_it_is_given():
    with pytest.raises(UsageError) as err:
        ChangeClass.parse("nope", Catalog(), "the form")
    assert err.value.form == "the form"


def test_a_parser_for_a_subcommand_without_words_makes_its_dataclass_whatever_follows():
    parser = nothing(ShowRoles)  # made here, not at import: the table's own parsers are made at import
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
