"""The intake's HTTP edge in-process: what it refuses before storing anything, and the 202 after storing."""

from __future__ import annotations

import io
import json

import pytest

from firehouse.intake.app import MAX_BODY, alerts_app

TOKEN = "0123456789abcdef0123"
BODY = json.dumps({"version": "4", "status": "firing", "groupKey": "g", "alerts": [
    {"status": "firing", "labels": {"alertname": "Spend"}, "startsAt": "2026-03-02T09:00:00Z"}]}).encode()


class Intake:
    """Stands in for AlertIntake: remembers what it was asked to store, or fails as told."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.groups = []

    def receive(self, group) -> int:
        if self.fail:
            raise OSError("database is away")
        self.groups.append(group)
        return len(self.groups)


def call(app, *, path="/alerts/alertmanager", method="POST", body=BODY, auth=f"Bearer {TOKEN}",
         length: str | None = None, stream: io.BytesIO | None = None) -> tuple[int, dict, dict]:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": stream or io.BytesIO(body),
               "CONTENT_LENGTH": str(len(body)) if length is None else length}
    if auth is not None:
        environ["HTTP_AUTHORIZATION"] = auth
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    answer = json.loads(b"".join(app(environ, start_response)))
    return seen["status"], answer, seen["headers"]


@pytest.fixture
def told():
    return []


def app_with(intake, told, wakes=None):
    return alerts_app(intake=intake, token=TOKEN, wake=lambda: (wakes if wakes is not None else []).append(1),
                      on_delivery=lambda source, outcome: told.append((source, outcome)))


def test_a_good_delivery_is_stored_then_answered_202_and_processing_is_woken(told):
    intake, wakes = Intake(), []
    status, answer, _ = call(app_with(intake, told, wakes), path="/alerts/grafana")
    assert (status, answer) == (202, {"accepted": 1, "alerts": 1})
    assert intake.groups[0].source == "grafana" and wakes == [1] and told == [("grafana", "accepted")]


@pytest.mark.parametrize(("auth", "outcome"), [(None, 401), ("Bearer", 401), (f"Bearer {TOKEN}x", 401),
                                               (f"bearer {TOKEN}", 202), (f"Token {TOKEN}", 401),
                                               (f"Bearer {TOKEN[:-1]}é", 401)])
def test_only_the_bearer_token_gets_in(told, auth, outcome):
    intake = Intake()
    status, _, headers = call(app_with(intake, told), auth=auth)
    assert status == outcome and bool(intake.groups) == (outcome == 202)
    if outcome == 401:
        assert headers["WWW-Authenticate"].startswith("Bearer") and told == [("alertmanager", "unauthorized")]


@pytest.mark.parametrize(("length", "status"), [("", 411), ("12a", 400), (str(MAX_BODY + 1), 413)])
def test_a_missing_bad_or_too_large_length_is_refused_unread(told, length, status):
    body = io.BytesIO(BODY)
    app = app_with(Intake(), told)
    assert call(app, length=length, stream=body)[0] == status
    assert body.tell() == 0 and told == [("alertmanager", "too_large" if status == 413 else "invalid")]


def test_the_store_away_is_a_503_the_sender_retries(told):
    status, answer, _ = call(app_with(Intake(fail=True), told))
    assert status == 503 and "send it again" in answer["error"] and told == [("alertmanager", "unavailable")]


def test_unknown_paths_and_other_methods(told):
    app = app_with(Intake(), told)
    assert call(app, path="/alerts/pagerduty")[0] == 404
    status, _, headers = call(app, method="GET")
    assert status == 405 and headers["Allow"] == "POST"

