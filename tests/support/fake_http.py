"""A JSON-over-HTTP test server on 127.0.0.1 running in a background thread."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DROP = (0, None, {})  # a route's answer that closes the connection without a response


class Request:
    """What a handler sees of one request."""

    def __init__(self, method: str, target: str, headers, body: bytes):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = headers
        self.body = body

    def json(self):
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


class JsonServer:
    """Serves ``route(request) -> (status, body, headers)`` (or DROP) with optional latency and injected
    failures; every request is kept in ``log`` unless ``logged`` is false. A body is sent as JSON, or
    as it is when it is bytes (an answer encoded beforehand)."""

    logged = True

    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.log: list[Request] = []
        self.injected: deque = deque()
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def route(self, request: Request):
        """Answer one request; subclasses implement it."""
        raise NotImplementedError

    def inject(self, count: int, status: int = 429, headers: dict | None = None) -> None:
        """Make the next ``count`` requests fail with ``status`` (and headers such as Retry-After)."""
        with self.lock:
            self.injected.extend([(status, {"errorMessages": ["injected"]}, headers or {})] * count)

    def dispatch(self, request: Request):
        """Apply latency, then an injected failure if one is pending, else the route."""
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            if self.logged:
                self.log.append(request)
            if self.injected:
                return self.injected.popleft()
        return self.route(request)

    def handler_class(self):
        """A request handler class bound to this server."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as pooled clients expect
            disable_nagle_algorithm = True  # headers and body go out in two writes: avoid delayed-ACK stalls

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, self.headers, self.rfile.read(length) if length else b"")
                status, body, headers = server.dispatch(request)
                if status == DROP[0]:
                    self.close_connection = True
                    return
                payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
