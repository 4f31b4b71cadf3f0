"""Tests for the fake Slack Web API, driven through slack_sdk's real WebClient."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from fakeslack import FakeSlack


@pytest.fixture
def fake():
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def client(fake):
    return WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=5)


def slack_error(call) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def test_binds_loopback_only(fake):
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.api_url == fake.base_url + "api/"


def test_create_channel_then_name_taken_and_invalid_names(fake, client):
    created = client.conversations_create(name="inc-42-gpu-meltdown", is_private=True)
    channel = fake.channel_named("inc-42-gpu-meltdown")
    assert channel is not None and channel.id == created["channel"]["id"] == "C0000001"
    assert channel.is_private and created["channel"]["is_private"] is True
    assert channel.members == {fake.bot_user_id} and channel.created_by == fake.bot_user_id

    assert slack_error(lambda: client.conversations_create(name="inc-42-gpu-meltdown")) == "name_taken"
    assert slack_error(lambda: client.conversations_create(name="")) == "invalid_name_required"
    assert slack_error(lambda: client.conversations_create(name="x" * 81)) == "invalid_name_maxlength"
    assert slack_error(lambda: client.conversations_create(name="Inc 42")) == "invalid_name_specials"
    assert len(fake.channels) == 1, "failed creates must not add channels"
    assert [c.error for c in fake.calls("conversations.create")] == [
        None, "name_taken", "invalid_name_required", "invalid_name_maxlength", "invalid_name_specials"]


def test_invite_topic_and_membership_errors(fake, client):
    alice = fake.add_user("UALICE", "alice")
    channel_id = client.conversations_create(name="inc-1")["channel"]["id"]
    client.conversations_invite(channel=channel_id, users=[alice])
    assert fake.channels[channel_id].members == {fake.bot_user_id, alice}
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=alice)) == "already_in_channel"
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users="UNOBODY")) == "user_not_found"
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=fake.bot_user_id)) == "cant_invite_self"
    bob = fake.add_user("UBOB", "bob")
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=[bob, "UNOBODY"])) \
        == "user_not_found" and bob not in fake.channels[channel_id].members  # all or nothing, as Slack does
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=[bob, "UNOBODY"], force=True)) \
        == "user_not_found" and bob in fake.channels[channel_id].members  # force: the valid ones go in
    assert slack_error(lambda: client.conversations_setTopic(channel=channel_id, topic="t" * 251)) == "too_long"
    client.conversations_setTopic(channel=channel_id, topic="SEV1: GPU meltdown")
    assert fake.channels[channel_id].topic == "SEV1: GPU meltdown"
    assert client.conversations_info(channel=channel_id)["channel"]["num_members"] == 3


def test_post_message_to_non_member_channel_fails(fake, client):
    channel_id = fake.add_channel("general")
    client.chat_postMessage(channel=channel_id, text="hello")
    fake.remove_member(channel_id, fake.bot_user_id)
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="again")) == "not_in_channel"
    assert slack_error(lambda: client.chat_postMessage(channel="C9999999", text="x")) == "channel_not_found"
    assert [m["text"] for m in fake.messages(channel_id)] == ["hello"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_update_and_history_by_ts(fake, client):
    channel_id = fake.add_channel("inc-2")
    first = client.chat_postMessage(channel=channel_id, text="one")["ts"]
    second = client.chat_postMessage(channel=channel_id, text="two", blocks=[{"type": "divider"}])["ts"]
    assert float(second) > float(first)
    client.chat_update(channel=channel_id, ts=first, text="one (edited)")
    assert [(m["text"], m["blocks"]) for m in fake.messages(channel_id)] == [
        ("one (edited)", []), ("two", [{"type": "divider"}])]
    found = client.conversations_history(channel=channel_id, latest=first, inclusive=True, limit=1)
    assert [m["text"] for m in found["messages"]] == ["one (edited)"]
    assert slack_error(lambda: client.chat_update(channel=channel_id, ts="1.000000", text="x")) == "message_not_found"
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id)) == "no_text"
    as_json = client.api_call("chat.postMessage", json={"channel": channel_id, "text": "json", "thread_ts": first})
    assert fake.messages(channel_id)[-1]["thread_ts"] == first == as_json["message"]["thread_ts"]
    too_many = [{"type": "divider"}] * 51
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="x", blocks=too_many)) == "invalid_blocks"


def test_injected_429_is_retried_by_rate_limit_handler(fake):
    client = WebClient(token=fake.bot_token, base_url=fake.api_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    channel_id = fake.add_channel("inc-3")
    fake.inject("chat.postMessage", status=429, retry_after=0)
    client.chat_postMessage(channel=channel_id, text="after the storm")
    assert [(c.status, c.error) for c in fake.calls("chat.postMessage")] == [(429, "ratelimited"), (200, None)]
    assert len(fake.messages(channel_id)) == 1


def test_injected_429_without_retry_exposes_retry_after(fake, client):
    fake.inject("auth.test", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "7"
    assert client.auth_test()["user_id"] == fake.bot_user_id


def test_injected_500_is_retried_by_server_error_handler(fake):
    client = WebClient(token=fake.bot_token, base_url=fake.api_url,
                       retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])
    fake.inject("conversations.create", status=500)
    client.conversations_create(name="inc-4")
    assert [c.status for c in fake.calls("conversations.create")] == [500, 200]
    assert list(fake.channels) == ["C0000001"], "the failed attempt must not create a channel"


def test_injected_slack_error_leaves_state_alone(fake, client):
    fake.inject("conversations.create", status=200, error="name_taken", count=2)
    assert slack_error(lambda: client.conversations_create(name="inc-5")) == "name_taken"
    assert slack_error(lambda: client.conversations_create(name="inc-5")) == "name_taken"
    assert fake.channel_named("inc-5") is None
    client.conversations_create(name="inc-5")
    assert fake.channel_named("inc-5") is not None


def test_auth_and_unknown_methods(fake):
    bad = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    assert slack_error(bad.auth_test) == "invalid_auth"
    app = WebClient(token=fake.app_token, base_url=fake.api_url)
    assert app.apps_connections_open(app_token=fake.app_token)["url"].startswith("ws://127.0.0.1:")
    assert slack_error(lambda: app.auth_test()) == "invalid_auth", "app token must not work for bot methods"
    good = WebClient(token=fake.bot_token, base_url=fake.api_url)
    assert slack_error(lambda: good.api_call("no.suchMethod")) == "unknown_method"
    assert fake.calls("no.suchMethod")[0].error == "unknown_method"


def test_views_open_update_and_hash_conflict(fake, client):
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare incident"}, "blocks": []}
    opened = client.views_open(trigger_id="trig-1", view=modal)["view"]
    assert slack_error(lambda: client.views_open(trigger_id="trig-1", view=modal)) == "exchanged_trigger_id"
    updated = {**modal, "title": {"type": "plain_text", "text": "Declared"}}
    client.views_update(view_id=opened["id"], hash=opened["hash"], view=updated)
    assert slack_error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)) == "hash_conflict"
    assert [v["method"] for v in fake.views] == ["views.open", "views.update"]
    assert fake.views[-1]["view"]["title"]["text"] == "Declared"


def test_response_urls_are_recorded(fake):
    url = fake.new_response_url()
    request = urllib.request.Request(url, data=json.dumps({"text": "ack"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    assert fake.responses(url) == [{"text": "ack", "_url": url}]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(fake.base_url + "response/999", data=b"{}"), timeout=5)
    assert info.value.code == 404


def test_wait_for_returns_value_and_times_out_with_recent_calls(fake, client):
    channel_id = fake.add_channel("inc-6")
    threading.Timer(0.2, lambda: client.chat_postMessage(channel=channel_id, text="late")).start()
    assert fake.wait_for(lambda: fake.messages(channel_id), timeout=5)[0]["text"] == "late"

    client.auth_test()
    with pytest.raises(AssertionError) as info:
        fake.wait_for(lambda: fake.channel_named("never"), timeout=0.2)
    assert "auth.test" in str(info.value) and "chat.postMessage" in str(info.value)


def test_default_latency_and_call_start_end_times(fake, client):
    channel_id = fake.add_channel("inc-7")
    fake.set_default_latency(0.1)
    fake.set_latency("auth.test", 0.0)  # a method's own latency wins over the default
    threads = [threading.Thread(target=client.chat_postMessage, kwargs={"channel": channel_id, "text": str(n)})
               for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.conversations_setTopic(channel=channel_id, topic="after the posts")
    client.auth_test()
    posts = fake.calls("chat.postMessage")
    topic, auth = fake.calls("conversations.setTopic")[0], fake.calls("auth.test")[0]
    assert all(call.ended - call.at >= 0.1 for call in [*posts, topic])
    assert max(call.at for call in posts) < min(call.ended for call in posts), "concurrent calls overlap"
    assert topic.at >= max(call.ended for call in posts), "a later call starts after the earlier ones ended"
    assert auth.ended - auth.at < 0.1


def reserve(client, filename="postmortem.md", content=b"# Postmortem\n") -> tuple[str, str]:
    """Step 1 of the external upload, then step 2: the bytes POSTed to the returned URL."""
    reserved = client.files_getUploadURLExternal(filename=filename, length=len(content))
    request = urllib.request.Request(reserved["upload_url"], data=content, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert (response.status, response.read()) == (200, f"OK - {len(content)}".encode())
    return reserved["file_id"], reserved["upload_url"]


def test_external_upload_shares_the_file_in_the_channel_with_its_comment(fake, client):
    channel_id = fake.add_channel("inc-8")
    file_id, url = reserve(client, content="# Postmortem · “draft”\n".encode())
    assert url == f"{fake.base_url}upload/{file_id}", "the upload URL is on the fake itself"
    assert fake.files(channel_id) == [], "uploaded but not completed: not shared yet"
    done = client.files_completeUploadExternal(files=[{"id": file_id, "title": "Postmortem draft"}],
                                               channel_id=channel_id, initial_comment="Draft attached")
    assert [(f["id"], f["title"], f["name"]) for f in done["files"]] == [(file_id, "Postmortem draft", "postmortem.md")]
    assert fake.files(channel_id) == [{"id": file_id, "title": "Postmortem draft", "name": "postmortem.md",
                                       "content": "# Postmortem · “draft”\n",
                                       "bytes": "# Postmortem · “draft”\n".encode(), "comment": "Draft attached"}]
    history = client.conversations_history(channel=channel_id)["messages"]
    assert history[0]["text"] == "Draft attached" and history[0]["files"][0]["id"] == file_id


def test_files_upload_v2_runs_all_three_steps_against_the_fake(fake, client):
    channel_id = fake.add_channel("inc-9")
    uploaded = client.files_upload_v2(channel=channel_id, content="text", filename="a.md", title="A",
                                      initial_comment="here")
    assert uploaded["file"]["id"] == fake.files(channel_id)[0]["id"]
    assert [c.method for c in fake.calls()] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_external_upload_errors_as_slack_gives_them(fake, client):
    channel_id = fake.add_channel("inc-10")
    assert slack_error(lambda: client.files_getUploadURLExternal(filename="", length=3)) == "invalid_arguments"
    assert slack_error(lambda: client.files_getUploadURLExternal(filename="a.md", length=0)) == "missing_argument"
    pending = client.files_getUploadURLExternal(filename="a.md", length=3)["file_id"]
    complete = client.files_completeUploadExternal
    assert slack_error(lambda: complete(files=[{"id": "F404"}], channel_id=channel_id)) == "file_not_found"
    assert slack_error(lambda: complete(files=[{"id": pending}], channel_id=channel_id)) == "file_not_found", \
        "the bytes never came"
    file_id, url = reserve(client)
    assert slack_error(lambda: complete(files=[{"id": file_id}], channel_id="C9999999")) == "channel_not_found"
    fake.remove_member(channel_id, fake.bot_user_id)
    assert slack_error(lambda: complete(files=[{"id": file_id}], channel_id=channel_id)) == "not_in_channel"
    assert fake.files(channel_id) == [] and fake.messages(channel_id) == [], "a refused completion shares nothing"
    other = fake.add_channel("inc-11")
    complete(files=[{"id": file_id}], channel_id=other)
    assert fake.files(other)[0]["title"] == "postmortem.md", "the title defaults to the file name"
    assert slack_error(lambda: complete(files=[{"id": file_id}], channel_id=other)) == "file_not_found", \
        "an upload completes once"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(url, data=b"again", method="POST"), timeout=5)
    assert info.value.code == 404


def test_an_injected_upload_failure_stores_nothing(fake, client):
    reserved = client.files_getUploadURLExternal(filename="a.md", length=1)
    fake.inject("upload", status=500)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(reserved["upload_url"], data=b"x", method="POST"), timeout=5)
    assert info.value.code == 500
    assert slack_error(lambda: client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}])) == \
        "file_not_found"
    assert [(c.method, c.status) for c in fake.calls("upload")] == [("upload", 500)]
