"""gunicorn settings read automatically from the working directory (Procfile, bin/serve, bench/).

Threads: each worker serves WEB_THREADS requests at once (BoundedReadWorker, gunicorn's gthread).
Concurrent deliveries of a worker then share one database commit (app/catalog/store.py), which with
SQLite's synchronous=FULL is an fsync saved per event; the command line's --threads overrides it.

Slow clients: with gunicorn's own gthread worker a client that sends its headers slowly holds one of
the WEB_THREADS threads for as long as it likes. BoundedReadWorker gathers a new connection's request
line and headers in the worker's event loop and hands the connection to a thread only once they are
complete; a connection gets WEB_HEADER_TIMEOUT seconds from its first byte to complete them (and
`keepalive` seconds to send that first byte), after which it is closed. Later requests on a kept-alive
connection are read in a thread, bounded by the same timeout, and a stalled request body or a client
that stops reading the answer frees its thread after `timeout` seconds. The request line, header
count and header size limits are gunicorn's defaults, stated here. Behind a buffering proxy (Heroku's
router, nginx) slow clients never reach gunicorn: docs/deploy.md.

Startup: the master checks the settings, the mappings and the database before it starts workers
(`on_starting`, app.factory.check_startup) and stops with one line naming what is wrong; logs are
JSON lines unless LOG_FORMAT=text, gunicorn's own included (`logconfig_dict`). gunicorn's
control socket is off: its default path is one per user, shared by every server on the host.

Metrics: every worker writes its samples to PROMETHEUS_MULTIPROC_DIR so that `GET /metrics` in any
worker reports the whole server. A fresh folder is made per server start unless one is given.
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from gunicorn.http2.negotiation import prior_knowledge_allowed
from gunicorn.workers.gthread import _DEFER as DEFER
from gunicorn.workers.gthread import ThreadWorker

# Only modules that leave prometheus-client unimported: it picks its multiprocess mode when imported,
# so not before PROMETHEUS_MULTIPROC_DIR is set below.
from app.config import server_setting
from app.errors import ConfigError

HEAD_CHUNK = 65536


def read_whole(name):
    """A whole-number server setting of at least 1 (app.config.SERVER_SETTINGS)."""
    try:
        return server_setting(name)
    except ConfigError as exc:
        raise SystemExit(f"jira-catalog-bridge cannot start: {exc.message}") from None


class DeadlineSocket:
    """A client socket whose reads give up (as if the client had gone) `header_seconds` after a
    request's first read while its line and headers are read, and after `stall` seconds without
    data once they are (sends wait at most `stall` too)."""

    def __init__(self, sock, header_seconds, stall):
        self._sock = sock
        self.header_seconds = header_seconds
        self.stall = stall
        self.reading_headers = False
        self.deadline = None

    def __getattr__(self, name):
        return getattr(self._sock, name)

    @property
    def raw(self):
        return self._sock

    def expire(self):
        """Give up on this client: further reads (gunicorn's lingering close) end at once."""
        self.reading_headers, self.deadline = True, 0.0

    def start_request(self):
        """The next request's line and headers are due within `header_seconds` of its first read."""
        self.reading_headers, self.deadline = True, None

    def headers_read(self):
        self.reading_headers = False
        self._sock.settimeout(self.stall)

    def recv(self, size, *flags):
        if self.reading_headers and self.deadline is None:
            self.deadline = time.monotonic() + self.header_seconds
        wait = self.deadline - time.monotonic() if self.reading_headers else self.stall
        if wait <= 0:
            return b""
        self._sock.settimeout(wait)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            return b""


class BoundedReadWorker(ThreadWorker):
    """gunicorn's gthread worker that gathers a connection's first request line and headers in its
    event loop, so that a slow client holds no thread while it types, and that bounds every later
    read (see the module docstring)."""

    def handle(self, conn):
        if self.cfg.is_ssl or prior_knowledge_allowed(self.cfg, conn.client):
            return super().handle(conn)  # gunicorn reads the TLS or HTTP/2 handshake itself
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock, header_timeout, self.cfg.timeout)
        if not getattr(conn, "head_read", False):
            waiting = self.gather_head(conn)
            if waiting is not None:
                return waiting
        conn.sock.start_request()
        return super().handle(conn)

    def gather_head(self, conn):
        """None once the first request's line and headers are in; else what `handle` returns:
        DEFER (back to the event loop until more arrives) or False (close)."""
        buffered = getattr(conn, "head", b"")
        conn.sock.setblocking(False)
        try:
            data = conn.sock.raw.recv(HEAD_CHUNK)
        except BlockingIOError:
            data = None
        except OSError:
            data = b""
        if data == b"":
            conn.sock.expire()
            return False
        buffered += data or b""
        if b"\r\n\r\n" in buffered or len(buffered) > head_limit(self.cfg):
            return self.start_reading(conn, buffered)
        conn.head = buffered
        if buffered and getattr(conn, "head_deadline", None) is None:
            conn.head_deadline = time.monotonic() + header_timeout
        if buffered and time.monotonic() > conn.head_deadline:
            conn.sock.expire()
            return False
        conn.data_ready = False
        return DEFER

    def start_reading(self, conn, buffered):
        """Hand the gathered bytes to gunicorn's parser and read on with deadlines."""
        conn.head_read = True
        conn.sock.setblocking(True)
        conn.init()
        conn.parser.unreader.unread(buffered)
        return None

    def handle_request(self, req, conn):
        conn.sock.headers_read()
        return super().handle_request(req, conn)


def head_limit(cfg):
    """The most bytes a request line and headers within gunicorn's limits can take."""
    return cfg.limit_request_line + cfg.limit_request_fields * (cfg.limit_request_field_size + 2) + 4


def log_config(log_format):
    """gunicorn's error log on stderr in `log_format` (app.logs.make_formatter); its access log
    off, since the app writes a line per request; the root logger left to the app."""
    stderr = {"class": "logging.StreamHandler", "formatter": "bridge", "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "root": {"level": "INFO", "handlers": []},
            "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["error_console"],
                                           "propagate": False},
                        "gunicorn.access": {"level": "WARNING", "handlers": [],
                                            "propagate": False}},
            "handlers": {"console": stderr, "error_console": stderr},
            "formatters": {"bridge": {"()": "app.logs.make_formatter", "log_format": log_format}}}


threads = read_whole("WEB_THREADS")
header_timeout = read_whole("WEB_HEADER_TIMEOUT")
control_socket_disable = True
# A bad LOG_FORMAT is reported by on_starting's check; until then gunicorn writes JSON.
logconfig_dict = log_config(
    "text" if os.environ.get("LOG_FORMAT", "").strip().lower() == "text" else "json")
worker_class = BoundedReadWorker
# Also how long a new connection may wait before its first byte (gunicorn's pending connections).
keepalive = 5
timeout = 30
graceful_timeout = 30
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
MADE_HERE = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MADE_HERE:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bridge-metrics-")


def on_starting(server):
    """Check the app's configuration once before any worker starts; then remove the samples an
    earlier server left in a given metrics folder, which would be counted again (only
    prometheus-client's `*.db` files; anything else in the folder is left alone)."""
    from app.factory import check_startup
    check_startup()
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for samples in folder.glob("*.db"):
        samples.unlink()


def child_exit(server, worker):
    from app.metrics import mark_worker_dead
    mark_worker_dead(worker.pid)


def on_exit(server):
    if MADE_HERE:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
