"""A fake of Port's REST API over real HTTP on 127.0.0.1, for tests and benchmarks.

It implements the subset the bridge uses: access tokens, entity upsert, bulk upsert, delete and
blueprints. It validates identifiers and body sizes the way Port documents them, and can be told to
fail the next requests, to be down (refusing connections), to revoke tokens or to answer slowly.
"""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.fake_port_api import Failure, FakePortState, LoggedRequest, PortReply, route


class FakePort:
    """Start with `FakePort().start()`; `base_url` is then set; `stop()` when done."""

    def __init__(self, client_id="test-client", client_secret="test-secret", port=0):
        self.state = FakePortState(client_id, client_secret)
        self._port = port
        self._server = None
        self._thread = None
        self._connections = set()
        self._connections_lock = threading.Lock()

    @property
    def base_url(self):
        """The URL to give the client, e.g. `http://127.0.0.1:50123`."""
        return f"http://127.0.0.1:{self._port}"

    def start(self):
        """Listen on 127.0.0.1: a free port at first, the same port after `set_down(False)`."""
        handler = type("BoundFakePortHandler", (FakePortHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening and drop every open connection, so clients see the server vanish."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with self._connections_lock:
            for sock in list(self._connections):
                close_quietly(sock)
            self._connections.clear()

    def set_down(self, down):
        """Refuse connections (down) or listen again on the same port (up)."""
        if down:
            self.stop()
        elif self._server is None:
            self.start()

    def fail_next(self, count, status, retry_after=None, ratelimit_reset=None):
        """Answer the next `count` API requests with `status` (tokens are still issued)."""
        with self.state.lock:
            self.state.failures.extend(Failure(status, retry_after, ratelimit_reset)
                                       for _ in range(count))

    def revoke_tokens(self):
        """Make every issued token invalid, as if it had expired."""
        with self.state.lock:
            self.state.tokens.clear()

    def add_blueprint(self, blueprint):
        """Create a blueprint directly (test setup)."""
        with self.state.lock:
            self.state.blueprints[blueprint["identifier"]] = blueprint

    def entity(self, blueprint, identifier):
        """The stored entity, or None."""
        with self.state.lock:
            return self.state.entities.get((blueprint, identifier))

    def requests(self, method=None, path_prefix=""):
        """Logged requests, optionally filtered by method and path prefix."""
        with self.state.lock:
            return [r for r in self.state.log
                    if (method is None or r.method == method) and r.path.startswith(path_prefix)]

    def track(self, sock, opened):
        """Remember open connections so `stop()` can cut them."""
        with self._connections_lock:
            (self._connections.add if opened else self._connections.discard)(sock)


def close_quietly(sock):
    """Shut a socket down, ignoring sockets already closed by the peer."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class FakePortHandler(BaseHTTPRequestHandler):
    """Serves one connection for the FakePort in the class attribute `fake`."""

    fake = None
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's algorithm and
    # delayed ACKs add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        self.fake.track(self.connection, True)

    def finish(self):
        self.fake.track(self.connection, False)
        super().finish()

    def log_message(self, format, *args):
        """Keep test output quiet."""

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def dispatch(self, method):
        """Parse, route, log and answer one request."""
        state = self.fake.state
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        logged = LoggedRequest(method, unquote(url.path), parse_qs(url.query), None)
        try:
            status, body, headers = route(state, method, url.path, logged, raw, self.headers)
        except PortReply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        logged.status = status
        logged.answered_at = time.monotonic()
        with state.lock:
            state.log.append(logged)
        self.answer(status, body, headers)

    def answer(self, status, body, headers):
        """Send a JSON answer; a client that already gave up is not an error."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, str(value))
        try:
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True
