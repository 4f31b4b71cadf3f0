import pytest

from firehouse.comms.mrkdwn import escape, escape_keeping_references, escape_keeping_users


@pytest.mark.parametrize("ping", ["<!channel>", "<!here>", "<!everyone>", "<!subteam^S1|@team>", "<!here|here>"])
def test_broadcasts_never_survive(ping):
    assert "<!" not in escape(f"hi {ping}")
    assert "<!" not in escape_keeping_users(f"hi {ping} <@U1>")


def test_ampersands_and_angle_brackets_are_escaped_once():
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&lt;") == "&amp;lt;"


def test_user_mentions_keep_working_in_log_text():
    assert escape_keeping_users("ask <@U123|bob> & <@W9>") == "ask <@U123> &amp; <@W9>"


def test_links_and_channel_refs_are_shown_not_rendered():
    assert escape_keeping_users("<https://evil.example|click> <#C1>") == (
        "&lt;https://evil.example|click&gt; &lt;#C1&gt;"
    )


def test_a_routing_lines_group_and_channel_work_but_nothing_else_does():
    line = "Routing legal: invited <!subteam^S0LEGAL> & <@U1|al>; announced in <#C0LEGAL>; <!channel> <!subteam^S9|x>"
    assert escape_keeping_references(line) == (
        "Routing legal: invited <!subteam^S0LEGAL> &amp; <@U1>; announced in <#C0LEGAL>; &lt;!channel&gt;"
        " &lt;!subteam^S9|x&gt;")
