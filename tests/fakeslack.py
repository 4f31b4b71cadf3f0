"""A stateful fake of the Slack Web API for end-to-end tests.

Standard library only. ``FakeSlack().start()`` serves on 127.0.0.1 (a free
port) in a daemon thread; point slack_sdk at it with
``WebClient(token=fake.bot_token, base_url=fake.api_url)``.

It keeps channels, users, messages, ephemerals, views, response-URL posts and
files shared with Slack's external upload (files.getUploadURLExternal, a POST
of the bytes to the upload URL it returns, files.completeUploadExternal) in
memory, records every API call, and can inject failures (429 / 5xx / Slack
error codes) and latency per method (or for every method, with
``set_default_latency``). Each recorded call has its start (``at``) and end
(``ended``) on ``time.monotonic()``'s clock, so a test or benchmark in the
same process can tell which calls ran one after another. All state sits
behind one lock; the public accessors return copies, so change state through the API, or
through ``add_user`` / ``add_channel`` / ``remove_member``.

It also plays what people and Slack itself do to a running app: ``archive`` /
``unarchive`` a channel and ``kick`` / ``invite_bot`` (each returning the Events
API event Slack would send, for ``slackreq.event_envelope``), ``revoke_token`` and
``deactivate_bot`` (every bot-token call answers ``token_revoked`` /
``account_inactive``), and ``go_down`` / ``outage`` (every request answers an HTTP
error with an HTML page, as the load balancer in front of Slack does).

Note: urllib honours ``http_proxy``; if one is set, make sure ``no_proxy``
covers 127.0.0.1 so requests stay on loopback.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Iterator, TypeVar
from urllib.parse import parse_qsl, urlsplit

T = TypeVar("T")

BASE_TS = 1_700_000_000
JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "files")
CHANNEL_NAME = re.compile(r"[a-z0-9_-]+")
TRUE_VALUES = {"1", "true", "True", True}
# The bot scopes a workspace granted, sent as Slack does in every bot-token answer's `x-oauth-scopes` header
# (manifest.yml's list; `FakeSlack.scopes` changes it, e.g. to leave one out).
GRANTED_SCOPES = ("commands", "chat:write", "channels:manage", "groups:write", "channels:join", "channels:read",
                  "groups:read", "channels:history", "groups:history", "reactions:read", "users:read",
                  "usergroups:read", "files:write")


@dataclass
class Channel:
    """A public or private channel as the fake sees it."""

    id: str
    name: str
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    topic: str = ""
    created_by: str = ""
    purpose: str = ""
    is_archived: bool = False
    created: int = 0

    def to_api(self, bot_user_id: str) -> dict:
        """The channel object as Slack's conversations.* methods return it."""
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "created": self.created,
            "creator": self.created_by,
            "is_member": bot_user_id in self.members,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }


@dataclass
class Call:
    """One recorded Web API call: `at` when its request arrived, `ended` when it was answered (monotonic)."""

    method: str
    args: dict
    status: int
    error: str | None
    at: float
    ended: float = 0.0


@dataclass
class _Fault:
    """One queued injected failure."""

    status: int
    retry_after: int
    error: str | None

    def reply(self) -> tuple[int, dict, dict]:
        if self.status == 429:
            return 429, {"Retry-After": str(self.retry_after)}, {"ok": False, "error": "ratelimited"}
        if self.status == 200:
            return 200, {}, {"ok": False, "error": self.error}
        return self.status, {}, {"ok": False, "error": self.error or "internal_error"}


class SlackError(Exception):
    """Raised by a method handler to answer {"ok": false, "error": code}."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def _event_ts() -> str:
    """An event's event_ts as Slack writes it: epoch seconds with six decimals, as a string."""
    return f"{time.time():.6f}"


def _truthy(value: Any) -> bool:
    return value in TRUE_VALUES


def _id_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _channel_name_error(name: str) -> str | None:
    """Slack's naming rules for conversations.create, as an error code."""
    if not name:
        return "invalid_name_required"
    if len(name) > 80:
        return "invalid_name_maxlength"
    if not CHANNEL_NAME.fullmatch(name):
        return "invalid_name_specials"
    return None


def _check_blocks(blocks: Any) -> list:
    """Validate a blocks argument the way chat.postMessage does."""
    if blocks is None:
        return []
    if isinstance(blocks, str):
        raise SlackError("invalid_blocks_format")  # it was not valid JSON
    if not isinstance(blocks, list) or not all(isinstance(b, dict) and "type" in b for b in blocks):
        raise SlackError("invalid_blocks")
    if len(blocks) > 50:
        raise SlackError("invalid_blocks")
    for block in blocks:
        text = block.get("text")
        value = text.get("text", "") if isinstance(text, dict) else ""
        if block["type"] == "section" and len(value) > 3000:
            raise SlackError("invalid_blocks")
        if block["type"] == "header" and len(value) > 150:
            raise SlackError("invalid_blocks")
        if block["type"] == "markdown" and (not isinstance(text, str) or not text or len(text) > 12000):
            raise SlackError("invalid_blocks")
    return blocks


def _check_view(view: Any) -> dict:
    """Minimal view validation: a dict with a type; modal titles <= 24 chars."""
    if not isinstance(view, dict) or "type" not in view:
        raise SlackError("invalid_arguments")
    if view["type"] == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or not 0 < len(title.get("text", "")) <= 24:
            raise SlackError("invalid_arguments")
    if len(view.get("blocks", [])) > 100:
        raise SlackError("invalid_arguments")
    return view


def _decode_request(headers, query: str, body: bytes) -> tuple[dict, str | None]:
    """Return (args, token) from a form-encoded or JSON request."""
    args: dict[str, Any] = dict(parse_qsl(query))
    if "json" in headers.get("Content-Type", ""):
        decoded = json.loads(body or b"{}")
        args.update(decoded if isinstance(decoded, dict) else {})
    else:
        args.update(parse_qsl(body.decode("utf-8")))
    for name in JSON_FIELDS:
        if isinstance(args.get(name), str):
            try:
                args[name] = json.loads(args[name])
            except ValueError:
                pass  # left as a string; handlers report it as malformed
    token = args.pop("token", None)
    auth = headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        token = auth[len("Bearer "):]
    return args, token


class _RequestHandler(BaseHTTPRequestHandler):
    """Routes /api/<method> and /response/<n> to the owning FakeSlack."""

    server: "_Server"

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def _dispatch(self, body: bytes) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        if url.path.startswith("/api/"):
            args, token = _decode_request(self.headers, url.query, body)
            reply = fake._handle_api(url.path[len("/api/"):], args, token)
        elif url.path.startswith("/response/") and self.command == "POST":
            reply = fake._handle_response_url(url.path, body)
        elif url.path.startswith("/upload/") and self.command == "POST":
            reply = fake._handle_upload(url.path[len("/upload/"):], body)
        else:
            reply = (404, {}, "not found")
        self._send(*reply)

    def _send(self, status: int, headers: dict, payload: dict | str) -> None:
        is_json = isinstance(payload, dict)
        data = (json.dumps(payload) if is_json else payload).encode("utf-8")
        headers = dict(headers)
        content_type = headers.pop("Content-Type", "application/json; charset=utf-8" if is_json else "text/plain")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeSlack"


class Workspace:
    """Slack's data model and method semantics.

    Not thread-safe on its own: FakeSlack calls it with its lock held.
    Every handler validates before mutating, so an error leaves state alone.
    """

    def __init__(self, *, team_id: str, bot_user_id: str):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B0FIRE"
        self.base_url = ""  # set by FakeSlack.start()
        self.socket_url = ""  # where apps.connections.open sends Socket Mode clients (tests/socketmode.py)
        self.users: dict[str, dict] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[dict]] = {}  # by channel id, or user id for DMs
        self.ephemerals: list[dict] = []
        self.view_log: list[dict] = []
        self._views: dict[str, dict] = {}  # view id -> current view
        self._view_users: dict[str, str] = {}
        self._home_views: dict[str, str] = {}  # user id -> home tab view id
        self._used_triggers: set[str] = set()
        self._counter = 0
        self.usergroups: dict[str, list[str]] = {}  # user group id -> member user ids
        self.files: dict[str, dict] = {}  # file id -> name, title, content (bytes once uploaded), shares
        self.methods: dict[str, Callable[[dict], dict]] = {
            "apps.connections.open": self.apps_connections_open,
            "auth.test": self.auth_test,
            "users.info": self.users_info,
            "conversations.create": self.conversations_create,
            "conversations.invite": self.conversations_invite,
            "conversations.setTopic": self.conversations_set_topic,
            "conversations.setPurpose": self.conversations_set_purpose,
            "conversations.info": self.conversations_info,
            "conversations.join": self.conversations_join,
            "conversations.leave": self.conversations_leave,
            "conversations.archive": self.conversations_archive,
            "conversations.members": self.conversations_members,
            "conversations.history": self.conversations_history,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "views.open": self.views_open,
            "views.push": self.views_open,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "pins.add": self.pins_add,
            "reactions.add": self.reactions_add,
            "usergroups.users.list": self.usergroups_users_list,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }

    # ------------------------------------------------------------ helpers
    def next_number(self) -> int:
        self._counter += 1
        return self._counter

    def next_ts(self) -> str:
        """Unique, increasing message timestamps like "1700000001.000100"."""
        return f"{BASE_TS + self.next_number()}.000100"

    def find_channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def create_channel(self, name: str, is_private: bool, members: set[str], creator: str) -> Channel:
        channel_id = f"C{len(self.channels) + 1:07d}"
        channel = Channel(channel_id, name, is_private, members, created_by=creator, created=int(time.time()))
        self.channels[channel_id] = channel
        return channel

    def _channel(self, channel_id: Any) -> Channel:
        """Look up a channel by id or '#name'; private ones need the bot inside."""
        channel_id = str(channel_id or "")
        if channel_id.startswith("#"):
            channel = self.find_channel(channel_id[1:])
        else:
            channel = self.channels.get(channel_id)
        if channel is None or (channel.is_private and self.bot_user_id not in channel.members):
            raise SlackError("channel_not_found")
        return channel

    def _member_channel(self, channel_id: Any) -> Channel:
        channel = self._channel(channel_id)
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _writable_channel(self, channel_id: Any) -> Channel:
        """A channel the bot is in and may change: an archived one answers is_archived."""
        channel = self._member_channel(channel_id)
        if channel.is_archived:
            raise SlackError("is_archived")
        return channel

    def _conversation_key(self, channel_id: Any) -> str:
        """Key into self.messages: a user id for DMs, else a channel the bot is in."""
        channel_id = str(channel_id or "")
        if channel_id[:1] in ("U", "W"):
            if channel_id not in self.users or self.users[channel_id]["deleted"]:
                raise SlackError("channel_not_found")
            return channel_id
        return self._member_channel(channel_id).id

    def _writable_key(self, channel_id: Any) -> str:
        key = self._conversation_key(channel_id)
        if key in self.channels and self.channels[key].is_archived:
            raise SlackError("is_archived")
        return key

    def _message(self, key: str, ts: Any) -> dict:
        for message in self.messages.get(key, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def _api_message(self, message: dict, *, with_metadata: bool = False) -> dict:
        out = {"type": "message", "user": message["user"], "bot_id": self.bot_id,
               "text": message["text"], "ts": message["ts"], "blocks": copy.deepcopy(message["blocks"])}
        if with_metadata and message.get("metadata"):
            out["metadata"] = copy.deepcopy(message["metadata"])
        if message["thread_ts"]:
            out["thread_ts"] = message["thread_ts"]
        if message.get("files"):
            out["files"] = copy.deepcopy(message["files"])
        return out

    def _api_channel(self, channel: Channel) -> dict:
        return {"channel": channel.to_api(self.bot_user_id)}

    # ---------------------------------------------------- auth and users
    def apps_connections_open(self, args: dict) -> dict:
        return {"url": self.socket_url or self.base_url.replace("http://", "ws://", 1) + "socket"}

    def auth_test(self, args: dict) -> dict:
        return {"url": self.base_url, "team": "Firehouse Test", "team_id": self.team_id,
                "user": self.users[self.bot_user_id]["name"], "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "is_enterprise_install": False}

    def users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user"))
        if user is None:
            raise SlackError("user_not_found")
        profile = {"display_name": user["name"], "real_name": user["name"]}
        return {"user": {**user, "team_id": self.team_id, "real_name": user["name"],
                         "tz": "UTC", "tz_offset": 0, "profile": profile}}

    def usergroups_users_list(self, args: dict) -> dict:
        users = self.usergroups.get(args.get("usergroup"))
        if users is None:
            raise SlackError("no_such_subteam")
        return {"users": list(users)}

    # ------------------------------------------------------ conversations
    def conversations_create(self, args: dict) -> dict:
        name = str(args.get("name") or "")
        error = _channel_name_error(name) or ("name_taken" if self.find_channel(name) else None)
        if error:
            raise SlackError(error)
        is_private = _truthy(args.get("is_private"))
        return self._api_channel(self.create_channel(name, is_private, {self.bot_user_id}, self.bot_user_id))

    def conversations_invite(self, args: dict) -> dict:
        channel = self._writable_channel(args.get("channel"))
        users = _id_list(args.get("users"))
        if not users:
            raise SlackError("no_user")
        refused = {}
        for user_id in users:
            if user_id == self.bot_user_id:
                refused[user_id] = "cant_invite_self"
            elif user_id not in self.users:
                refused[user_id] = "user_not_found"
            elif self.users[user_id]["deleted"]:
                refused[user_id] = "cant_invite"
        if refused and not _truthy(args.get("force")):  # Slack invites nobody unless told to go on (force)
            raise SlackError(next(iter(refused.values())))
        invited = [user_id for user_id in users if user_id not in refused]
        if not refused and all(user_id in channel.members for user_id in users):
            raise SlackError("already_in_channel")
        channel.members.update(invited)
        if refused:
            raise SlackError(next(iter(refused.values())))
        return self._api_channel(channel)

    def conversations_set_topic(self, args: dict) -> dict:
        channel = self._writable_channel(args.get("channel"))
        topic = str(args.get("topic") or "")
        if len(topic) > 250:
            raise SlackError("too_long")
        channel.topic = topic
        return self._api_channel(channel)

    def conversations_set_purpose(self, args: dict) -> dict:
        channel = self._writable_channel(args.get("channel"))
        purpose = str(args.get("purpose") or "")
        if len(purpose) > 250:
            raise SlackError("too_long")
        channel.purpose = purpose
        return self._api_channel(channel)

    def conversations_info(self, args: dict) -> dict:
        return self._api_channel(self._channel(args.get("channel")))

    def conversations_join(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        channel.members.add(self.bot_user_id)
        return self._api_channel(channel)

    def conversations_leave(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        if self.bot_user_id not in channel.members:
            return {"not_in_channel": True}
        channel.members.discard(self.bot_user_id)
        return {}

    def conversations_archive(self, args: dict) -> dict:
        channel = self._member_channel(args.get("channel"))
        if channel.is_archived:
            raise SlackError("already_archived")
        channel.is_archived = True
        return {}

    def conversations_members(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        return {"members": sorted(channel.members), "response_metadata": {"next_cursor": ""}}

    def conversations_history(self, args: dict) -> dict:
        """Top-level messages newest first, filtered by latest/oldest/inclusive/limit."""
        key = self._conversation_key(args.get("channel"))
        latest = float(args.get("latest") or "inf")
        oldest = float(args.get("oldest") or 0)
        inclusive = _truthy(args.get("inclusive"))
        limit = int(args.get("limit") or 100)
        found = []
        for message in reversed(self.messages.get(key, [])):
            ts = float(message["ts"])
            if message["thread_ts"] not in (None, message["ts"]):
                continue  # thread replies are not part of channel history
            if (ts < latest or (inclusive and ts == latest)) and (ts > oldest or (inclusive and ts == oldest)):
                found.append(self._api_message(message, with_metadata=_truthy(args.get("include_all_metadata"))))
        return {"messages": found[:limit], "has_more": len(found) > limit,
                "response_metadata": {"next_cursor": ""}}

    # --------------------------------------------------------------- chat
    def chat_post_message(self, args: dict) -> dict:
        key = self._writable_key(args.get("channel"))
        text = str(args.get("text") or "")
        blocks = _check_blocks(args.get("blocks"))
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {"ts": self.next_ts(), "channel": key, "text": text, "blocks": blocks,
                   "thread_ts": args.get("thread_ts") or None, "user": self.bot_user_id, "metadata": metadata}
        self.messages.setdefault(key, []).append(message)
        return {"channel": key, "ts": message["ts"], "message": self._api_message(message)}

    def chat_post_ephemeral(self, args: dict) -> dict:
        key = self._writable_key(args.get("channel"))
        user = args.get("user")
        members = self.channels[key].members if key in self.channels else {key}
        if user not in members:
            raise SlackError("user_not_in_channel")
        text = str(args.get("text") or "")
        blocks = _check_blocks(args.get("blocks"))
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        message_ts = self.next_ts()
        self.ephemerals.append({"channel": key, "user": user, "text": text, "blocks": blocks,
                                "thread_ts": args.get("thread_ts") or None, "message_ts": message_ts})
        return {"message_ts": message_ts}

    def chat_update(self, args: dict) -> dict:
        """Replace text and/or blocks; fields not sent are kept, as in Slack."""
        key = self._writable_key(args.get("channel"))
        message = self._message(key, args.get("ts"))
        blocks = _check_blocks(args.get("blocks")) if "blocks" in args else None
        if "text" not in args and blocks is None and "attachments" not in args:
            raise SlackError("no_text")
        if len(str(args.get("text") or "")) > 40000:
            raise SlackError("msg_too_long")
        if "text" in args:
            message["text"] = str(args["text"])
        if blocks is not None:
            message["blocks"] = blocks
        return {"channel": key, "ts": message["ts"], "text": message["text"],
                "message": self._api_message(message)}

    def pins_add(self, args: dict) -> dict:
        self._message(self._conversation_key(args.get("channel")), args.get("timestamp"))
        return {}

    def reactions_add(self, args: dict) -> dict:
        self._message(self._conversation_key(args.get("channel")), args.get("timestamp"))
        if not args.get("name"):
            raise SlackError("invalid_name")
        return {}

    # -------------------------------------------------------------- files
    def files_get_upload_url_external(self, args: dict) -> dict:
        """Reserve a file id and an upload URL on this server; the bytes come in a POST to that URL."""
        filename = str(args.get("filename") or "")
        if not filename:
            raise SlackError("invalid_arguments")
        try:
            length = int(args.get("length") or 0)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if length <= 0:
            raise SlackError("missing_argument")
        file_id = f"F{self.next_number():07d}"
        self.files[file_id] = {"id": file_id, "name": filename, "length": length, "title": filename,
                               "content": None, "completed": False, "shares": []}
        return {"file_id": file_id, "upload_url": f"{self.base_url}upload/{file_id}"}

    def receive_upload(self, file_id: str, body: bytes) -> tuple[int, dict, str]:
        """The POST of a file's bytes to its upload URL: once, before the upload is completed."""
        file = self.files.get(file_id)
        if file is None or file["completed"]:
            return 404, {}, "not found"
        file["content"] = body
        return 200, {}, f"OK - {len(body)}"

    def files_complete_upload_external(self, args: dict) -> dict:
        """Finish uploads: title the files and share them in one message with the initial comment."""
        files = args.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments")
        found = [self.files.get(str(f["id"])) for f in files]
        if any(file is None or file["content"] is None or file["completed"] for file in found):
            raise SlackError("file_not_found")
        targets = [args["channel_id"]] if args.get("channel_id") else _id_list(args.get("channels"))
        keys = [self._writable_key(target) for target in targets]
        comment = str(args.get("initial_comment") or "")
        for file, given in zip(found, files):
            file.update(completed=True, title=str(given.get("title") or file["name"]), comment=comment)
            file["shares"] += keys
        shared = [self._api_file(file) for file in found]
        for key in keys:
            message = {"ts": self.next_ts(), "channel": key, "text": comment, "blocks": [],
                       "thread_ts": args.get("thread_ts") or None, "user": self.bot_user_id, "metadata": None,
                       "files": shared}
            self.messages.setdefault(key, []).append(message)
        return {"files": shared}

    def _api_file(self, file: dict) -> dict:
        return {"id": file["id"], "name": file["name"], "title": file["title"], "size": len(file["content"]),
                "mimetype": "text/plain", "user": self.bot_user_id, "channels": list(file["shares"])}

    # -------------------------------------------------------------- views
    def _store_view(self, method: str, view: dict, *, view_id: str | None = None,
                    trigger_id: str | None = None, user_id: str | None = None) -> dict:
        """Save a view as the current version of view_id (a new id if None) and log it."""
        number = self.next_number()
        view_id = view_id or f"V{number:09d}"
        stored = {"team_id": self.team_id, "app_id": "A0FIRE", "bot_id": self.bot_id,
                  "state": {"values": {}}, "private_metadata": "", "callback_id": "",
                  "external_id": "", "root_view_id": view_id, "previous_view_id": None,
                  **copy.deepcopy(view), "id": view_id, "hash": f"{BASE_TS + number}.fake{number}"}
        self._views[view_id] = stored
        if user_id:
            self._view_users[view_id] = user_id
        self.view_log.append({"method": method, "trigger_id": trigger_id, "view_id": view_id,
                              "user_id": self._view_users.get(view_id), "view": copy.deepcopy(stored)})
        return {"view": copy.deepcopy(stored)}

    def views_open(self, args: dict) -> dict:
        trigger_id = args.get("trigger_id")
        if not trigger_id:
            raise SlackError("invalid_arguments")
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        view = _check_view(args.get("view"))
        self._used_triggers.add(trigger_id)
        return self._store_view("views.open", view, trigger_id=trigger_id)

    def views_update(self, args: dict) -> dict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next((v["id"] for v in self._views.values()
                            if v.get("external_id") == args["external_id"]), None)
        current = self._views.get(view_id or "")
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return self._store_view("views.update", _check_view(args.get("view")), view_id=view_id)

    def views_publish(self, args: dict) -> dict:
        user_id = args.get("user_id")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        view = _check_view(args.get("view"))
        if view["type"] != "home":
            raise SlackError("invalid_arguments")
        result = self._store_view("views.publish", view, view_id=self._home_views.get(user_id), user_id=user_id)
        self._home_views[user_id] = result["view"]["id"]
        return result


class FakeSlack:
    """The fake Slack server: HTTP plumbing, call log, fault injection, test accessors."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        app_token: str = "xapp-test-token",
        team_id: str = "T0FIRE",
        bot_user_id: str = "UBOT",
    ):
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._lock = threading.Lock()
        self._ws = Workspace(team_id=team_id, bot_user_id=bot_user_id)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._responses: list[dict] = []
        self._response_urls: set[str] = set()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._latency: dict[str, float] = {}
        self._default_latency = 0.0
        self._token_revoked = False  # revoke_token(): every bot-token call answers token_revoked
        self._bot_inactive = False  # deactivate_bot(): every bot-token call answers account_inactive
        self._down: int | None = None  # go_down(): the HTTP status every request answers
        self.scopes: list[str] | None = list(GRANTED_SCOPES)  # None: no x-oauth-scopes header at all
        self.add_user(bot_user_id, "firehouse", is_bot=True)

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "FakeSlack":
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.fake = self
        self._ws.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakeslack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def socket_url(self) -> str:
        """Where apps.connections.open sends Socket Mode clients ("" for this server's own /socket)."""
        return self._ws.socket_url

    @socket_url.setter
    def socket_url(self, url: str) -> None:
        with self._lock:
            self._ws.socket_url = url

    @property
    def api_url(self) -> str:
        return self.base_url + "api/"

    # ------------------------------------------------------------- set-up
    def new_response_url(self) -> str:
        """A fresh response_url whose POSTs are recorded in responses()."""
        with self._lock:
            url = f"{self.base_url}response/{self._ws.next_number()}"
            self._response_urls.add(url)
        return url

    def add_user(self, user_id: str, name: str, *, is_bot: bool = False, deleted: bool = False) -> str:
        with self._lock:
            self._ws.users[user_id] = {"id": user_id, "name": name, "is_bot": is_bot, "deleted": deleted}
        return user_id

    def add_usergroup(self, usergroup_id: str, members: Iterable[str]) -> str:
        with self._lock:
            self._ws.usergroups[usergroup_id] = list(members)
        return usergroup_id

    def add_channel(self, name: str, *, is_private: bool = False, members: Iterable[str] = ()) -> str:
        """Create a channel directly (the bot is always a member); returns its id."""
        with self._lock:
            error = _channel_name_error(name) or ("name_taken" if self._ws.find_channel(name) else None)
            if error:
                raise ValueError(f"add_channel({name!r}): {error}")
            return self._ws.create_channel(name, is_private, {self.bot_user_id, *members}, creator="").id

    def remove_member(self, channel: str, user_id: str) -> None:
        """Take a user (possibly the bot) out of a channel, for set-up."""
        with self._lock:
            self._ws.channels[channel].members.discard(user_id)

    # ------------------------------------------- what people and Slack do
    def _known_channel(self, channel: str, action: str) -> Channel:
        found = self._ws.channels.get(channel)
        if found is None:
            raise ValueError(f"{action}({channel!r}): no such channel")
        return found

    def _person(self, user_id: str, action: str) -> str:
        if user_id not in self._ws.users or self._ws.users[user_id]["deleted"]:
            raise ValueError(f"{action}: {user_id!r} is not an active user of the workspace (add_user first)")
        return user_id

    def archive(self, channel: str, *, by: str) -> dict:
        """A person archives a channel in Slack's UI; returns the event Slack sends the app.

        The channel keeps its members, the bot too (an archived channel stays readable): conversations.history,
        .info (is_archived true) and .members still answer, while chat.postMessage, chat.postEphemeral, chat.update,
        conversations.setTopic/.setPurpose/.invite/.join and file shares answer is_archived. A public channel gives
        ``{"type": "channel_archive", "channel": id, "user": by, "event_ts": ...}``; a private one
        ``{"type": "group_archive", "channel": id, "event_ts": ...}`` (Slack names no user there).
        A bot cannot undo it: Slack refuses conversations.unarchive to bot tokens, so the fake has no such method.
        """
        with self._lock:
            found = self._known_channel(channel, "archive")
            self._person(by, "archive")
            if found.is_archived:
                raise ValueError(f"archive({channel!r}): already archived")
            found.is_archived = True
            return self._channel_event(found, "archive", by)

    def unarchive(self, channel: str, *, by: str) -> dict:
        """A person unarchives a channel; returns ``channel_unarchive`` (with ``user``) for a public channel,
        ``group_unarchive`` (without) for a private one, each with ``event_ts``. Members are as they were."""
        with self._lock:
            found = self._known_channel(channel, "unarchive")
            self._person(by, "unarchive")
            if not found.is_archived:
                raise ValueError(f"unarchive({channel!r}): not archived")
            found.is_archived = False
            return self._channel_event(found, "unarchive", by)

    def _channel_event(self, channel: Channel, what: str, by: str) -> dict:
        if channel.is_private:
            return {"type": f"group_{what}", "channel": channel.id, "event_ts": _event_ts()}
        return {"type": f"channel_{what}", "channel": channel.id, "user": by, "event_ts": _event_ts()}

    def kick(self, channel: str) -> None:
        """Someone removes the app from a channel: the bot leaves its members (as remove_member(channel, bot)).

        Then a public channel answers not_in_channel to a post, while a private one answers channel_not_found to
        everything, as the bot can no longer see it. Nothing of what was posted there changes."""
        with self._lock:
            found = self._known_channel(channel, "kick")
            if self.bot_user_id not in found.members:
                raise ValueError(f"kick({channel!r}): the bot is not in it")
            found.members.discard(self.bot_user_id)

    def invite_bot(self, channel: str, *, by: str) -> dict:
        """A person adds the app to a channel; returns the ``member_joined_channel`` event Slack sends the bot:
        ``{"type": "member_joined_channel", "user": bot, "channel": id, "channel_type": "C" (public) or "G"
        (private), "team": team id, "inviter": by, "event_ts": ...}``. In a private channel only a member can."""
        with self._lock:
            found = self._known_channel(channel, "invite_bot")
            self._person(by, "invite_bot")
            if found.is_archived:
                raise ValueError(f"invite_bot({channel!r}): archived")
            if self.bot_user_id in found.members:
                raise ValueError(f"invite_bot({channel!r}): the bot is already in it")
            if found.is_private and by not in found.members:
                raise ValueError(f"invite_bot({channel!r}): {by} is not in this private channel")
            found.members.add(self.bot_user_id)
            return {"type": "member_joined_channel", "user": self.bot_user_id, "channel": found.id,
                    "channel_type": "G" if found.is_private else "C", "team": self.team_id, "inviter": by,
                    "event_ts": _event_ts()}

    def revoke_token(self) -> None:
        """The bot token is revoked (the app uninstalled, or the token rotated out): every Web API call made with
        it answers HTTP 200 ``{"ok": false, "error": "token_revoked"}`` and changes nothing, until restore_token().
        Upload and response URLs carry no token and keep working; the app token too."""
        with self._lock:
            self._token_revoked = True

    def restore_token(self) -> None:
        """Undo revoke_token()."""
        with self._lock:
            self._token_revoked = False

    def deactivate_bot(self) -> None:
        """The bot user is deactivated: every call with the bot token answers HTTP 200
        ``{"ok": false, "error": "account_inactive"}`` until reactivate_bot() (token_revoked wins if both)."""
        with self._lock:
            self._bot_inactive = True

    def reactivate_bot(self) -> None:
        """Undo deactivate_bot()."""
        with self._lock:
            self._bot_inactive = False

    def go_down(self, status: int = 503) -> None:
        """Slack is unreachable behind its load balancer: every request (each Web API method, upload URLs,
        response URLs) answers HTTP `status` with a small HTML page and no Retry-After, changing nothing, until
        come_back(). Each is still recorded in calls() with that status and the status's phrase as its error
        (a response URL as the method "response_url", args {"url": ...})."""
        try:
            HTTPStatus(status)
        except ValueError:
            status = 0
        if not 400 <= status <= 599:
            raise ValueError("go_down: status must be an HTTP error status, e.g. 502, 503 or 504")
        with self._lock:
            self._down = status

    def come_back(self) -> None:
        """End go_down(): requests are answered as before."""
        with self._lock:
            self._down = None

    @contextlib.contextmanager
    def outage(self, status: int = 503) -> Iterator[None]:
        """``with fake.outage():`` go_down(status) for the block, come_back() after it, even if it raises."""
        self.go_down(status)
        try:
            yield
        finally:
            self.come_back()

    def inject(self, method: str, *, status: int = 500, count: int = 1, retry_after: int = 1,
               error: str | None = None) -> None:
        """Make the next `count` calls to `method` fail; they change no state."""
        if status == 200 and not error:
            raise ValueError("inject: status=200 needs error=..., e.g. 'name_taken'")
        with self._lock:
            self._faults.setdefault(method, []).extend(_Fault(status, retry_after, error) for _ in range(count))

    def set_latency(self, method: str, seconds: float) -> None:
        with self._lock:
            self._latency[method] = seconds

    def set_default_latency(self, seconds: float) -> None:
        """Delay every Web API method without a latency of its own (set_latency wins) by `seconds`."""
        with self._lock:
            self._default_latency = seconds

    # ---------------------------------------------------------- inspection
    @property
    def channels(self) -> dict[str, Channel]:
        """Snapshot of all channels by id."""
        with self._lock:
            return copy.deepcopy(self._ws.channels)

    def channel_named(self, name: str) -> Channel | None:
        with self._lock:
            return copy.deepcopy(self._ws.find_channel(name))

    def messages(self, channel: str) -> list[dict]:
        """Messages in a channel (or DM, keyed by user id), oldest first."""
        with self._lock:
            return copy.deepcopy(self._ws.messages.get(channel, []))

    def dms(self, user: str) -> list[dict]:
        """The messages the bot sent to a user's DM (chat.postMessage with channel=<user id>), oldest first:
        the same as messages(user)."""
        return self.messages(user)

    def ephemerals(self, *, channel: str | None = None, user: str | None = None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ws.ephemerals
                    if channel in (None, e["channel"]) and user in (None, e["user"])]

    def files(self, channel: str) -> list[dict]:
        """Files shared in a channel, oldest first: id, title, name, content (text), the bytes as uploaded (an
        image's), and the comment with them."""
        with self._lock:
            return [{"id": f["id"], "title": f["title"], "name": f["name"],
                     "content": f["content"].decode("utf-8", "replace"), "bytes": f["content"],
                     "comment": f["comment"]}
                    for f in self._ws.files.values() if channel in f["shares"]]

    def responses(self, url: str | None = None) -> list[dict]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._responses if url in (None, r["_url"])]

    @property
    def views(self) -> list[dict]:
        """Every views.open/push/update/publish, in order."""
        with self._lock:
            return copy.deepcopy(self._ws.view_log)

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method in (None, c.method)]

    def calls_to(self, channel: str, method: str | None = None) -> list[Call]:
        """The recorded calls naming `channel` (args["channel"] or args["channel_id"]; a user id for a DM),
        optionally of one method only, in order: e.g. to bound the attempts made at a dead destination."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method in (None, c.method)
                    and channel in (c.args.get("channel"), c.args.get("channel_id"))]

    def wait_for(self, predicate: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.05) -> T:
        """Poll predicate() until truthy and return it; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                break
            time.sleep(interval)
        recent = self.calls()[-20:]
        lines = [f"  {c.method} -> HTTP {c.status} {c.error or 'ok'}" for c in recent] or ["  (no calls)"]
        raise AssertionError(f"condition not met within {timeout}s (last value: {value!r:.200}); "
                             f"last {len(recent)} Slack calls:\n" + "\n".join(lines))

    # ------------------------------------------------------ request entry
    def _handle_api(self, method: str, args: dict, token: str | None) -> tuple[int, dict, dict | str]:
        at = time.monotonic()
        with self._lock:
            if self._down:
                return self._refuse_down(method, args, at)
            delay = self._latency.get(method, self._default_latency)
        if delay:
            time.sleep(delay)
        with self._lock:
            if self._down:
                return self._refuse_down(method, args, at)
            status, headers, payload = self._answer(method, args, token)
            self._calls.append(Call(method, args, status, payload.get("error"), at, time.monotonic()))
        return status, headers, payload

    def _refuse_down(self, method: str, args: dict, at: float) -> tuple[int, dict, str]:
        """The load balancer's answer during go_down(), recorded as a call (the lock is held)."""
        status = self._down or 503
        phrase = HTTPStatus(status).phrase
        page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>\n"
        self._calls.append(Call(method, args, status, phrase, at, time.monotonic()))
        return status, {"Content-Type": "text/html"}, page

    def _answer(self, method: str, args: dict, token: str | None) -> tuple[int, dict, dict]:
        faults = self._faults.get(method)
        if faults:
            return faults.pop(0).reply()
        handler = self._ws.methods.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        if token == self.bot_token and (self._token_revoked or self._bot_inactive):
            return 200, {}, {"ok": False, "error": "token_revoked" if self._token_revoked else "account_inactive"}
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != expected:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        try:
            payload = {"ok": True, **handler(args)}
        except SlackError as exc:
            return 200, {}, {"ok": False, "error": exc.error}
        except Exception as exc:  # a bug in the fake (or odd args): say so loudly
            return 500, {}, {"ok": False, "error": f"fakeslack_crash: {exc!r}"}
        granted = {} if self.scopes is None or token != self.bot_token else {"x-oauth-scopes": ",".join(self.scopes)}
        return 200, granted, payload

    def _handle_upload(self, file_id: str, body: bytes) -> tuple[int, dict, str]:
        """A POST to an upload URL; recorded as the call `upload`, and `inject("upload", …)` fails it."""
        at = time.monotonic()
        with self._lock:
            if self._down:
                return self._refuse_down("upload", {"file_id": file_id, "length": len(body)}, at)
            faults = self._faults.get("upload")
            if faults:
                status, headers, payload = faults.pop(0).reply()
                reply = (status, headers, str(payload.get("error")))
            else:
                reply = self._ws.receive_upload(file_id, body)
            error = None if reply[0] == 200 else reply[2]
            self._calls.append(Call("upload", {"file_id": file_id, "length": len(body)}, reply[0], error, at,
                                    time.monotonic()))
        return reply

    def _handle_response_url(self, path: str, body: bytes) -> tuple[int, dict, str]:
        url = self.base_url.rstrip("/") + path
        with self._lock:
            if self._down:
                return self._refuse_down("response_url", {"url": url}, time.monotonic())
            if url not in self._response_urls:
                return 404, {}, "not found"
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                payload = {"_raw": body.decode("utf-8", "replace")}
            self._responses.append({**payload, "_url": url})
        return 200, {}, "ok"
