"""Tests for the fake Slack Web API, driven through slack_sdk's real WebClient."""

import json
import re
import threading
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from fakeslack import FakeSlack
from slackreq import event_envelope


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
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=fake.bot_user_id)) \
        == "cant_invite_self"
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
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="x", blocks=too_many)) \
        == "invalid_blocks"


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
    assert slack_error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal)) \
        == "hash_conflict"
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


EVENT_TS = re.compile(r"\d{10}\.\d{6}")
ALICE = "UALICE"


def test_an_archived_public_channel_refuses_writes_and_still_answers_reads(fake, client):
    fake.add_user(ALICE, "alice")
    bob = fake.add_user("UBOB", "bob")
    channel_id = fake.add_channel("inc-20", members=[ALICE])
    first = client.chat_postMessage(channel=channel_id, text="before")["ts"]
    client.conversations_setTopic(channel=channel_id, topic="SEV2")

    event = fake.archive(channel_id, by=ALICE)
    assert event == {"type": "channel_archive", "channel": channel_id, "user": ALICE, "event_ts": event["event_ts"]}
    assert EVENT_TS.fullmatch(event["event_ts"])
    assert json.loads(event_envelope(event))["event"] == event, "slackreq wraps it as Slack delivers it"

    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="after")) == "is_archived"
    assert slack_error(lambda: client.chat_update(channel=channel_id, ts=first, text="edited")) == "is_archived"
    assert slack_error(lambda: client.chat_postEphemeral(channel=channel_id, user=ALICE, text="x")) == "is_archived"
    assert slack_error(lambda: client.conversations_setTopic(channel=channel_id, topic="SEV1")) == "is_archived"
    assert slack_error(lambda: client.conversations_setPurpose(channel=channel_id, purpose="p")) == "is_archived"
    assert slack_error(lambda: client.conversations_invite(channel=channel_id, users=bob)) == "is_archived"
    assert slack_error(lambda: client.conversations_join(channel=channel_id)) == "is_archived"
    assert slack_error(lambda: client.conversations_archive(channel=channel_id)) == "already_archived"
    channel = fake.channels[channel_id]
    assert (channel.topic, channel.purpose, channel.members) == ("SEV2", "", {fake.bot_user_id, ALICE})
    assert [(m["text"], m["ts"]) for m in fake.messages(channel_id)] == [("before", first)]
    assert fake.ephemerals(channel=channel_id) == []

    info = client.conversations_info(channel=channel_id)["channel"]
    assert (info["is_archived"], info["is_member"]) == (True, True), "the bot stays a member of an archived channel"
    assert sorted(client.conversations_members(channel=channel_id)["members"]) == sorted([fake.bot_user_id, ALICE])
    assert [m["text"] for m in client.conversations_history(channel=channel_id)["messages"]] == ["before"]

    with pytest.raises(SlackApiError):  # Slack refuses conversations.unarchive to bot tokens
        client.conversations_unarchive(channel=channel_id)
    assert fake.channels[channel_id].is_archived

    event = fake.unarchive(channel_id, by=ALICE)
    assert event == {"type": "channel_unarchive", "channel": channel_id, "user": ALICE,
                     "event_ts": event["event_ts"]} and EVENT_TS.fullmatch(event["event_ts"])
    client.chat_postMessage(channel=channel_id, text="after")
    assert [m["text"] for m in fake.messages(channel_id)] == ["before", "after"]


def test_a_private_channel_archives_as_a_group_without_a_user(fake, client):
    fake.add_user(ALICE, "alice")
    channel_id = fake.add_channel("inc-21", is_private=True, members=[ALICE])
    event = fake.archive(channel_id, by=ALICE)
    assert event == {"type": "group_archive", "channel": channel_id, "event_ts": event["event_ts"]}
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="x")) == "is_archived"
    assert client.conversations_info(channel=channel_id)["channel"]["is_archived"] is True
    with pytest.raises(ValueError, match="already archived"):
        fake.archive(channel_id, by=ALICE)
    event = fake.unarchive(channel_id, by=ALICE)
    assert event == {"type": "group_unarchive", "channel": channel_id, "event_ts": event["event_ts"]}
    with pytest.raises(ValueError, match="not archived"):
        fake.unarchive(channel_id, by=ALICE)
    with pytest.raises(ValueError, match="not an active user"):
        fake.archive(channel_id, by="UNOBODY")
    assert fake.channels[channel_id].is_archived is False, "a refused archive changes nothing"


def test_a_kicked_bot_gets_not_in_channel_for_a_public_channel_and_cannot_see_a_private_one(fake, client):
    fake.add_user(ALICE, "alice")
    public = fake.add_channel("inc-22", members=[ALICE])
    private = fake.add_channel("inc-23", is_private=True, members=[ALICE])
    for channel_id in (public, private):
        client.chat_postMessage(channel=channel_id, text="hello")
        assert fake.kick(channel_id) is None
        assert fake.bot_user_id not in fake.channels[channel_id].members
    assert slack_error(lambda: client.chat_postMessage(channel=public, text="x")) == "not_in_channel"
    assert slack_error(lambda: client.conversations_history(channel=public)) == "not_in_channel"
    assert client.conversations_info(channel=public)["channel"]["is_member"] is False
    assert slack_error(lambda: client.chat_postMessage(channel=private, text="x")) == "channel_not_found"
    assert slack_error(lambda: client.conversations_info(channel=private)) == "channel_not_found"
    assert slack_error(lambda: client.conversations_members(channel=private)) == "channel_not_found"
    assert slack_error(lambda: client.conversations_join(channel=private)) == "channel_not_found"
    assert [m["text"] for m in fake.messages(public)] == [m["text"] for m in fake.messages(private)] == ["hello"]
    with pytest.raises(ValueError, match="not in it"):
        fake.kick(public)

    joined = fake.invite_bot(private, by=ALICE)
    assert joined == {"type": "member_joined_channel", "user": fake.bot_user_id, "channel": private,
                      "channel_type": "G", "team": fake.team_id, "inviter": ALICE, "event_ts": joined["event_ts"]}
    assert EVENT_TS.fullmatch(joined["event_ts"])
    assert fake.invite_bot(public, by=ALICE)["channel_type"] == "C"
    client.chat_postMessage(channel=private, text="back")
    assert [m["text"] for m in fake.messages(private)] == ["hello", "back"]
    with pytest.raises(ValueError, match="already in it"):
        fake.invite_bot(public, by=ALICE)


def test_only_a_member_adds_the_bot_to_a_private_channel_and_nobody_to_an_archived_one(fake):
    fake.add_user(ALICE, "alice")
    bob = fake.add_user("UBOB", "bob")
    private = fake.add_channel("inc-24", is_private=True, members=[ALICE])
    fake.kick(private)
    with pytest.raises(ValueError, match="not in this private channel"):
        fake.invite_bot(private, by=bob)
    fake.archive(private, by=ALICE)
    with pytest.raises(ValueError, match="archived"):
        fake.invite_bot(private, by=ALICE)
    assert fake.bot_user_id not in fake.channels[private].members


def test_a_revoked_token_or_deactivated_bot_answers_every_call_with_its_error_and_changes_nothing(fake, client):
    channel_id = fake.add_channel("inc-25")
    fake.revoke_token()
    for call in (client.auth_test, lambda: client.chat_postMessage(channel=channel_id, text="x"),
                 lambda: client.conversations_create(name="inc-26"),
                 lambda: client.conversations_history(channel=channel_id)):
        with pytest.raises(SlackApiError) as info:
            call()
        assert info.value.response.status_code == 200
        assert info.value.response.data == {"ok": False, "error": "token_revoked"}
    assert fake.messages(channel_id) == [] and fake.channel_named("inc-26") is None
    assert {c.error for c in fake.calls()} == {"token_revoked"} and len(fake.calls()) == 4
    app = WebClient(token=fake.app_token, base_url=fake.api_url)
    assert app.apps_connections_open(app_token=fake.app_token)["ok"], "the app token is not the bot token"

    fake.deactivate_bot()
    assert slack_error(client.auth_test) == "token_revoked", "a revoked token says so first"
    fake.restore_token()
    assert slack_error(lambda: client.chat_postMessage(channel=channel_id, text="x")) == "account_inactive"
    assert fake.messages(channel_id) == []
    fake.reactivate_bot()
    client.chat_postMessage(channel=channel_id, text="back")
    assert [m["text"] for m in fake.messages(channel_id)] == ["back"]


def test_an_outage_answers_every_request_with_the_load_balancers_page_and_records_it(fake, client):
    channel_id = fake.add_channel("inc-27")
    reserved = client.files_getUploadURLExternal(filename="a.md", length=1)
    url = fake.new_response_url()
    fake.go_down()
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel=channel_id, text="x")
    assert info.value.response.status_code == 503 and "Retry-After" not in info.value.response.headers
    with pytest.raises(SlackApiError):
        client.conversations_create(name="inc-28")
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(urllib.request.Request(reserved["upload_url"], data=b"x", method="POST"), timeout=5)
    assert (http.value.code, http.value.headers["Content-Type"]) == (503, "text/html")
    assert http.value.read().startswith(b"<html>") and http.value.headers["Retry-After"] is None
    with pytest.raises(urllib.error.HTTPError) as http:
        urllib.request.urlopen(urllib.request.Request(url, data=b'{"text": "ack"}'), timeout=5)
    assert http.value.code == 503
    assert fake.messages(channel_id) == [] and fake.channel_named("inc-28") is None and fake.responses() == []
    assert [(c.method, c.status, c.error) for c in fake.calls()[1:]] == [
        ("chat.postMessage", 503, "Service Unavailable"), ("conversations.create", 503, "Service Unavailable"),
        ("upload", 503, "Service Unavailable"), ("response_url", 503, "Service Unavailable")]
    assert fake.calls("response_url")[0].args == {"url": url}

    fake.come_back()
    client.chat_postMessage(channel=channel_id, text="back")
    with fake.outage(502):
        with pytest.raises(SlackApiError) as info:
            client.auth_test()
        assert info.value.response.status_code == 502
    assert client.auth_test()["ok"] and [m["text"] for m in fake.messages(channel_id)] == ["back"]
    with pytest.raises(ValueError):
        fake.go_down(200)


def test_an_outage_is_retried_by_the_server_error_handler_once_slack_is_back(fake):
    class BackBeforeTheRetry(ServerErrorRetryHandler):
        def prepare_for_next_attempt(self, **kwargs) -> None:
            fake.come_back()
            super().prepare_for_next_attempt(**kwargs)

    handler = BackBeforeTheRetry(max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    client = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[handler])
    fake.go_down(503)
    assert client.auth_test()["ok"]
    assert [c.status for c in fake.calls("auth.test")] == [503, 200]


def test_calls_to_a_channel_and_dms(fake, client):
    fake.add_user(ALICE, "alice")
    channel_id, other = fake.add_channel("inc-29"), fake.add_channel("inc-30")
    for target in (channel_id, other, channel_id, ALICE):
        client.chat_postMessage(channel=target, text=f"to {target}")
    client.conversations_setTopic(channel=channel_id, topic="t")
    file_id, _ = reserve(client)
    client.files_completeUploadExternal(files=[{"id": file_id}], channel_id=channel_id)
    fake.kick(other)
    assert slack_error(lambda: client.chat_postMessage(channel=other, text="again")) == "not_in_channel"
    assert [c.method for c in fake.calls_to(channel_id)] == [
        "chat.postMessage", "chat.postMessage", "conversations.setTopic", "files.completeUploadExternal"]
    assert [c.error for c in fake.calls_to(other, "chat.postMessage")] == [None, "not_in_channel"]
    assert fake.calls_to(other, "conversations.setTopic") == []
    assert [m["text"] for m in fake.dms(ALICE)] == [f"to {ALICE}"] and fake.dms(ALICE) == fake.messages(ALICE)
    assert fake.dms("UBOB") == []
