"""`SlackGateway.upload` against the fake Slack: the three steps of the external upload, and its failures."""

from __future__ import annotations

import pytest
from unit.usecases.fakes import ALICE

from firehouse.errors import SlackFailure

POSTMORTEM = "# Postmortem: incident 42\n\n## Summary\n\nRolled back prompt v42 — “quoted”, {{ 7*7 }} <!channel>\n"


@pytest.fixture
def room(fake) -> str:
    return fake.add_channel("inc-42-refunds", members=[ALICE])


def upload(gateway, channel: str, content: str = POSTMORTEM) -> str:
    return gateway.upload(channel, content=content, filename="postmortem-42.md", title="Postmortem draft",
                          comment="Postmortem draft: edit it, then publish.")


def test_a_file_is_uploaded_and_shared_in_the_channel_with_its_comment(fake, gateway, room):
    file_id = upload(gateway, room)
    assert fake.files(room) == [{"id": file_id, "title": "Postmortem draft", "name": "postmortem-42.md",
                                 "content": POSTMORTEM, "bytes": POSTMORTEM.encode(),
                                 "comment": "Postmortem draft: edit it, then publish."}]
    shared = fake.messages(room)[-1]
    assert shared["text"] == "Postmortem draft: edit it, then publish."
    assert [f["id"] for f in shared["files"]] == [file_id]


def test_the_upload_takes_slacks_three_steps(fake, gateway, room):
    upload(gateway, room)
    steps = [c.method for c in fake.calls() if c.method != "auth.test"]
    assert steps == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    reserve = fake.calls("files.getUploadURLExternal")[0]
    assert reserve.args["filename"] == "postmortem-42.md"
    assert int(reserve.args["length"]) == len(POSTMORTEM.encode("utf-8"))  # bytes, not characters
    assert fake.calls("files.completeUploadExternal")[0].args["channel_id"] == room


def test_a_channel_slack_does_not_know_is_a_slack_failure_and_shares_nothing(fake, gateway, room):
    with pytest.raises(SlackFailure) as failure:
        upload(gateway, "C9999999")
    assert (failure.value.method, failure.value.error) == ("files.upload_v2", "channel_not_found")
    assert fake.files("C9999999") == [] and fake.files(room) == []


def test_a_refused_step_is_a_slack_failure_with_slacks_error(fake, gateway, room):
    fake.inject("files.completeUploadExternal", status=200, error="file_not_found")
    with pytest.raises(SlackFailure, match="file_not_found"):
        upload(gateway, room)
    assert fake.files(room) == []


def test_a_failed_post_of_the_bytes_is_a_slack_failure(fake, gateway, room):
    fake.inject("upload", status=500)
    with pytest.raises(SlackFailure) as failure:
        upload(gateway, room)
    assert failure.value.error.startswith("unreachable")
    assert fake.calls("files.completeUploadExternal") == []
    assert fake.files(room) == []


def test_server_errors_on_the_api_steps_are_retried(fake, gateway, room):
    fake.inject("files.getUploadURLExternal", status=503)
    fake.inject("files.completeUploadExternal", status=500)
    assert upload(gateway, room) == fake.files(room)[0]["id"]
