from firehouse.slack.markdown import to_mrkdwn


def test_headings_bold_bullets_and_links_become_mrkdwn():
    assert to_mrkdwn("# What happened\n**Impact:** slow\n- one\n  * two") == "*What happened*\n*Impact:* slow\n• one\n  • two"
    assert to_mrkdwn("see [status](https://status.example.com)") == "see <https://status.example.com|status>"


def test_italics_and_strikethrough():
    assert to_mrkdwn("_quiet_ and *soft* and ~~gone~~") == "_quiet_ and _soft_ and ~gone~"


def test_code_and_arithmetic_are_left_alone():
    assert to_mrkdwn("`**raw**` and 2 * 3 * 4") == "`**raw**` and 2 * 3 * 4"


def test_escaped_user_text_stays_escaped():
    assert to_mrkdwn("&lt;!channel&gt; **x**") == "&lt;!channel&gt; *x*"
