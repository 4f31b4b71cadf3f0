"""A Socket Mode endpoint on 127.0.0.1, so `firehouse serve` with an app token can be driven end to end."""

from __future__ import annotations

import json
import threading
import time

from websockets.sync.server import ServerConnection, serve


class SocketModeServer:
    """Accepts the bot's websocket, sends it envelopes as Slack does, and records its acknowledgements."""

    def __init__(self) -> None:
        self.acks: list[dict] = []
        self._connection: ServerConnection | None = None
        self._server = serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def start(self) -> SocketModeServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def connected(self) -> bool:
        return self._connection is not None

    def _handle(self, connection: ServerConnection) -> None:
        self._connection = connection
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"},
                                    "connection_info": {"app_id": "A0FIRE"}}))
        for message in connection:
            self.acks.append(json.loads(message))

    def send(self, envelope: dict) -> None:
        self._connection.send(json.dumps(envelope))

    def ack_for(self, envelope_id: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [a for a in self.acks if a.get("envelope_id") == envelope_id]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no ack for envelope {envelope_id}; got {self.acks}")
