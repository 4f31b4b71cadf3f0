"""The command table: dispatch by the first word, usage forms from the catalogue, `/incident help` and the
README's reference, all from the same rows."""

from types import SimpleNamespace

import pytest

from firehouse.commands.incidents import Declare, ShowHelp
from firehouse.commands.timeline import Log
from firehouse.bolt.table import ANYWHERE, BY_WORDS, COMMANDS, WAR_ROOM, Parsed, help_lines, parse, reference
from firehouse.domain.classes import Catalog, IncidentClass
from firehouse.domain.severity import Severity
from firehouse.errors import UsageError

CUSTOM = Catalog(
    classes={"hallucination": IncidentClass("hallucination", "made-up facts", ("product",)),
             "leak": IncidentClass("leak", "data left the tenant", ("legal",), private=True)},
    causes={"vendor": "the model vendor changed something", "drift": "the inputs drifted"},
    roles=("ic", "scribe"),
)


def catalog_with_roles(*roles: str) -> Catalog:
    return Catalog(roles=roles)


# --- rows ------------------------------------------------------------------------------------------------

def test_each_subcommand_has_exactly_one_row_found_by_its_words():
    assert [row.words for row in COMMANDS] == list(BY_WORDS)
    assert all(BY_WORDS[row.words] is row for row in COMMANDS)


def test_only_declaring_listing_help_and_drills_run_outside_a_war_room():
    anywhere = [row.words for row in COMMANDS if row.where == ANYWHERE]
    assert anywhere[:4] == ["", "declare", "help", "list"] and "drill" in anywhere
    assert {row.where for row in COMMANDS} == {ANYWHERE, WAR_ROOM}


def test_only_help_is_answered_in_the_ack_itself():
    assert [row.words for row in COMMANDS if row.instant] == ["help"]


def test_declares_ack_names_the_title_escaped():
    ack = BY_WORDS["declare"].acks(Declare("<!channel> & bot", Severity.SEV1))
    assert ack == "Opening a war room for *&lt;!channel&gt; &amp; bot*…"


@pytest.mark.parametrize(("words", "usage"), [
    ("role", "/incident role <ic|scribe> @user"),
    ("class", "/incident class <hallucination|leak>"),
    ("cause", "/incident cause <vendor|drift>"),
    ("status", "/incident status <investigating|identified|contained|monitoring|resolved>"),
    ("sev", "/incident sev <1|2|3> [reason]"),
    ("comms", "/incident comms <product|legal> [template] [regime] [initial|intermediate|final]"),
])
def test_usage_fills_in_the_deployments_roles_classes_causes_and_statuses(words, usage):
    assert BY_WORDS[words].usage(CUSTOM) == usage


# --- parse -----------------------------------------------------------------------------------------------

def test_parse_finds_the_row_by_its_first_word_in_any_case():
    parsed = parse("  LOG   rolled back v42  ", catalog=Catalog())
    assert parsed == Parsed(BY_WORDS["log"], Log("rolled back v42"))
    assert parse("Sev 2", catalog=Catalog()).row is BY_WORDS["sev"]


@pytest.mark.parametrize(("text", "problem"), [
    ("<!channel> please", "I don't know `/incident &lt;!channel&gt;`."),
    ("escalate sev1", "I don't know `/incident escalate`."),
    ("{{ config }}", "I don't know `/incident {{`."),
    ("x" * 60, f"I don't know `/incident {'x' * 40}`."),
    ("declare-sev1 x", "I don't know `/incident declare-sev1`."),
])
def test_an_unknown_subcommand_shows_help_with_the_word_escaped(text, problem):
    assert parse(text, catalog=Catalog()) == Parsed(BY_WORDS["help"], ShowHelp(problem=problem))


def test_a_refusal_carries_the_usage_from_the_deployments_catalogue():
    with pytest.raises(UsageError) as err:
        parse("role comms <@U1>", catalog=CUSTOM)
    assert err.value.form == "/incident role <ic|scribe> @user"
    assert err.value.reply.endswith("\nUsage: `/incident role <ic|scribe> @user`")


# --- help ------------------------------------------------------------------------------------------------

def test_help_lists_the_anywhere_rows_then_the_war_room_rows_each_with_its_description():
    lines = help_lines(CUSTOM)
    war_room = lines.index("*Inside a war room*")
    assert lines[0] == "*Firehouse commands*"
    assert lines[1:5] == [
        "`/incident`: open the declare modal",
        "`/incident declare [sev1|sev2|sev3] [class] <title>`: declare an incident and open its war room",
        "`/incident help`: this list",
        "`/incident list`: open incidents, with links to their war rooms",
    ]
    assert lines[5:war_room] == [f"`{row.usage(CUSTOM)}`: {row.about}" for row in COMMANDS
                                 if row.where == ANYWHERE][4:]
    rest = lines[war_room + 1:]
    assert rest == [f"`{row.usage(CUSTOM)}`: {row.about}" for row in COMMANDS if row.where == WAR_ROOM]
    assert rest[0] == "`/incident captain @user`: hand over the fire captain role"
    assert "`/incident role <ic|scribe> @user`: assign a role" in rest
    assert "`/incident class <hallucination|leak>`: reclassify the incident" in rest


def test_help_shows_the_problem_first_when_the_text_did_not_parse():
    req = SimpleNamespace(services=SimpleNamespace(incidents=SimpleNamespace(catalog=CUSTOM)))
    row = BY_WORDS["help"]
    assert row.handle(ShowHelp(), req).text == "\n".join(help_lines(CUSTOM))
    shown = row.handle(ShowHelp(problem="I don't know `/incident x`."), req).text
    assert shown == "\n".join(["I don't know `/incident x`.", *help_lines(CUSTOM)])


# --- the README's reference ------------------------------------------------------------------------------

def entries(text: str) -> list[tuple[str, str]]:
    """(usage, description) pairs read back from the reference: a description sits at column 44, on the
    usage's line or, under a long usage, on the next."""
    lines, found = text.splitlines(), []
    while lines:
        line = lines.pop(0)
        if lines and lines[0].startswith(" " * 44):
            found.append((line, lines.pop(0)[44:]))
        else:
            found.append((line[:44].rstrip(), line[44:]))
    return found


def test_the_reference_lists_every_row_once_the_war_room_ones_under_their_heading():
    catalog = Catalog()
    anywhere, war_room = reference(catalog).split("\n-- inside a war room --\n")
    assert entries(anywhere) == [(row.usage(catalog), row.about) for row in COMMANDS if row.where == ANYWHERE]
    assert entries(war_room) == [(row.usage(catalog), row.about) for row in COMMANDS if row.where == WAR_ROOM]
    assert reference(catalog).startswith(f"{'/incident':<44}open the declare modal\n")


def test_the_reference_puts_a_short_usage_and_its_description_on_one_line():
    usage = "/incident role <abcdefghij|klmnopqrs> @user"
    assert len(usage) == 43
    assert f"{usage} assign a role" in reference(catalog_with_roles("abcdefghij", "klmnopqrs")).splitlines()


def test_the_reference_puts_the_description_of_a_long_usage_on_the_next_line():
    usage = "/incident role <abcdefghij|klmnopqrst> @user"
    assert len(usage) == 44
    text = reference(catalog_with_roles("abcdefghij", "klmnopqrst"))
    assert f"\n{usage}\n{' ' * 44}assign a role\n" in text
