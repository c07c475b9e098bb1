"""A JSON test server whose connections misbehave on demand, for the backfill's keep-alive client."""

from __future__ import annotations

import threading
from collections import deque

from tests.support.fake_http import JsonServer, Request


class ScriptedServer(JsonServer):
    """Answers 202 ``applied`` over kept connections and counts the connections it accepts. The next
    requests can be scripted to go otherwise (``then``): "drop" reads the request and closes without an
    answer, "close-quietly" answers as if keeping the connection and then closes it, "stall" never answers.
    ``inject`` still makes requests fail with a status, or close with a ``Connection: close`` header."""

    def __init__(self):
        super().__init__()
        self.script: deque[str] = deque()
        self.connections = 0
        self.released = threading.Event()

    def route(self, request: Request):
        """Every request is accepted."""
        return 202, {"ok": True, "status": "applied", "entities": []}, {}

    def then(self, *actions: str) -> None:
        """Script what happens to the next requests, in order."""
        with self.lock:
            self.script.extend(actions)

    def next_action(self) -> str:
        """The scripted action for the request at hand ("answer" when none is left)."""
        with self.lock:
            return self.script.popleft() if self.script else "answer"

    def handler_class(self):
        """The JSON handler, counting connections and acting out the script."""
        server = self

        class Handler(super().handler_class()):
            def setup(self):
                super().setup()
                with server.lock:
                    server.connections += 1

            def handle_any(self):
                action = server.next_action()
                if action == "stall":
                    server.released.wait()
                if action in ("drop", "stall"):
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    self.close_connection = True
                    return
                super().handle_any()
                self.close_connection = self.close_connection or action == "close-quietly"

            do_GET = do_POST = handle_any

        return Handler

    def __exit__(self, *exc):
        self.released.set()
        super().__exit__(*exc)
