"""The log: level and format chosen by flag or environment, the request's fields on every line (across the
threads its work moves to), and no chatter from the scheduler at INFO."""

from __future__ import annotations

import io
import json
import logging

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.authorization import AuthorizeResult

from firehouse.bolt.listeners.context import register, request_id_of, user_of, verb_of
from firehouse.bolt.work import Background
from firehouse import logs


@pytest.fixture
def captured():
    """The root logger configured as `firehouse` does, writing into a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {name: logging.getLogger(name).level for name in logs.CHATTY})

    def configure(**kwargs) -> io.StringIO:
        stream = io.StringIO()
        logs.configure(stream=stream, **kwargs)
        return stream

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def test_json_lines_carry_the_bound_incident_verb_user_and_request(captured):
    stream = captured(level="info", fmt="json")
    with logs.bound(verb="sev", user="UALICE", request_id="7.T0FIRE.trigger"):
        logs.note(incident=12)
        logging.getLogger("firehouse.test").warning("outbox %s not sent", 3)
    logging.getLogger("firehouse.test").warning("after the request")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "outbox 3 not sent" and first["level"] == "warning"
    assert (first["incident"], first["verb"], first["user"], first["request_id"]) == (
        12, "sev", "UALICE", "7.T0FIRE.trigger")
    assert first["logger"] == "firehouse.test" and first["time"].endswith("+00:00")
    assert not {"incident", "verb", "user", "request_id"} & set(second)


def test_a_traceback_stays_inside_its_json_line(captured):
    stream = captured(level="info", fmt="json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("firehouse.test").exception("background work failed")
    [line] = stream.getvalue().splitlines()
    assert "RuntimeError: boom" in json.loads(line)["exc"]


def test_text_lines_end_with_the_known_fields_made_safe(captured):
    stream = captured(level="info", fmt="text")
    with logs.bound(verb="sev\nFAKE LINE", user="UALICE"):
        logging.getLogger("firehouse.test").info("changed")
    [line] = stream.getvalue().splitlines()
    assert line.endswith("INFO firehouse.test: changed verb=sevFAKELINE user=UALICE")


def test_the_level_drops_lines_below_it(captured):
    stream = captured(level="warning", fmt="text")
    logging.getLogger("firehouse.test").info("not shown")
    logging.getLogger("firehouse.test").warning("shown")
    assert stream.getvalue().count("\n") == 1 and "shown" in stream.getvalue()


def test_the_scheduler_is_quiet_at_info_and_heard_at_debug(captured):
    stream = captured(level="info", fmt="text")
    logging.getLogger("apscheduler.executors.default").info('Running job "StatusBoard.lead"')
    assert stream.getvalue() == ""
    stream = captured(level="debug", fmt="text")
    logging.getLogger("apscheduler.executors.default").info('Running job "StatusBoard.lead"')
    assert "Running job" in stream.getvalue()


def test_a_flag_wins_over_the_environment_and_bad_values_name_the_choices():
    environ = {"FIREHOUSE_LOG_LEVEL": "WARNING", "FIREHOUSE_LOG_FORMAT": "json"}
    assert logs.choose(level=None, fmt=None, environ={}) == ("info", "text")
    assert logs.choose(level=None, fmt=None, environ=environ) == ("warning", "json")
    assert logs.choose(level="debug", fmt="text", environ=environ) == ("debug", "text")
    with pytest.raises(logs.LogSettingError, match="FIREHOUSE_LOG_LEVEL must be one of debug, info, warning, error"):
        logs.choose(level=None, fmt=None, environ={"FIREHOUSE_LOG_LEVEL": "verbose"})
    with pytest.raises(logs.LogSettingError, match="FIREHOUSE_LOG_FORMAT must be one of text, json"):
        logs.choose(level=None, fmt=None, environ={"FIREHOUSE_LOG_FORMAT": "xml"})


def test_work_handed_to_another_thread_keeps_the_fields_and_leaves_none_behind():
    pool = logs.ContextPool(max_workers=1)
    background = Background(1)
    try:
        with logs.bound(verb="declare", user="UALICE"):
            assert pool.submit(logs.current).result() == {"verb": "declare", "user": "UALICE"}
            assert background.run(logs.current).result() == {"verb": "declare", "user": "UALICE"}

            def learns_the_incident() -> None:
                logs.note(incident=7)
            pool.submit(learns_the_incident).result()
        assert pool.submit(logs.current).result() == {}
        assert logs.current() == {}
    finally:
        pool.shutdown()
        background.shutdown()


@pytest.mark.parametrize(("body", "verb", "user", "request_id"), [
    ({"command": "/incident", "text": "sev 1 refunds wrong", "user_id": "UALICE", "trigger_id": "7.1.a"},
     "sev", "UALICE", "7.1.a"),
    ({"command": "/incident", "text": "", "user_id": "UALICE", "trigger_id": "7.1.b"}, "incident", "UALICE", "7.1.b"),
    ({"type": "block_actions", "user": {"id": "UBOB"}, "trigger_id": "7.2.c",
      "actions": [{"action_id": "board_snooze"}]}, "board_snooze", "UBOB", "7.2.c"),
    ({"type": "view_submission", "user": {"id": "UBOB"}, "trigger_id": "7.3.d", "view": {"callback_id": "declare"}},
     "declare", "UBOB", "7.3.d"),
    ({"type": "event_callback", "event_id": "Ev0123", "event": {"type": "reaction_added", "user": "UCAROL"}},
     "reaction_added", "UCAROL", "Ev0123"),
])
def test_the_edge_reads_verb_user_and_request_id_from_each_kind_of_request(body, verb, user, request_id):
    assert (verb_of(body), user_of(body), request_id_of(body, {})) == (verb, user, request_id)


def test_a_dispatched_command_is_heard_with_its_fields_in_the_listener_and_none_are_left_behind(captured):
    stream = captured(level="info", fmt="json")
    app = App(signing_secret="x", request_verification_enabled=False, token_verification_enabled=False,
              authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T0FIRE", bot_token="xoxb-1",
                                                     bot_user_id="UBOT", bot_id="B0FIRE"),
              listener_executor=logs.ContextPool(max_workers=1))
    register(app)
    heard = Background(1)

    @app.command("/incident")
    def incident(ack) -> None:
        ack()
        heard.run(lambda: logging.getLogger("firehouse.test").info("in the background")).result()

    response = app.dispatch(BoltRequest(
        body="command=%2Fincident&text=status+monitoring&user_id=UALICE&trigger_id=7.9.z&team_id=T0FIRE",
        headers={"content-type": ["application/x-www-form-urlencoded"]}))
    assert response.status == 200
    heard.shutdown()
    [line] = [json.loads(line) for line in stream.getvalue().splitlines() if "in the background" in line]
    assert (line["verb"], line["user"], line["request_id"]) == ("status", "UALICE", "7.9.z")
    assert logs.current() == {}
