"""The Slack app manifest is valid and asks for what Firehouse uses."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "slack-app-manifest.schema.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.mark.skipif(not SCHEMA.exists(), reason="the shared manifest schema is not beside this checkout")
def test_manifest_validates_against_slacks_schema(manifest):
    jsonschema.validate(manifest, json.loads(SCHEMA.read_text()))


def test_incident_command_escapes_mentions_so_users_arrive_as_ids(manifest):
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/incident"
    assert command["should_escape"] is True


def test_socket_mode_interactivity_and_events_are_on(manifest):
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened", "reaction_added", "channel_archive", "group_archive", "channel_unarchive",
        "group_unarchive", "member_joined_channel"}
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_bot_scopes_cover_every_web_api_method_the_gateway_calls(manifest):
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    needed = {
        "conversations.create": {"channels:manage", "groups:write"},
        "conversations.invite": {"channels:manage", "groups:write"},
        "conversations.setTopic": {"channels:manage", "groups:write"},
        "conversations.join": {"channels:join"},
        "conversations.history": {"channels:history", "groups:history"},
        "chat.postMessage": {"chat:write"},
        "users.info": {"users:read"},
        "usergroups.users.list": {"usergroups:read"},
        "conversations.info": {"channels:read", "groups:read"},
        "conversations.members": {"channels:read", "groups:read"},
        "channel_archive": {"channels:read"},
        "group_archive": {"groups:read"},
        "member_joined_channel": {"channels:read", "groups:read"},
        "reaction_added": {"reactions:read"},
        "/incident": {"commands"},
        "files.getUploadURLExternal": {"files:write"},
        "files.completeUploadExternal": {"files:write"},
    }
    for method, wanted in needed.items():
        assert wanted <= scopes, f"{method} needs {sorted(wanted - scopes)}"
