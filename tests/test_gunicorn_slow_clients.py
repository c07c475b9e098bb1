"""Slow clients against the Procfile's web process (gunicorn.conf.py's BoundedReadWorker)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import requests

from tests.support.helpers import ROOT, seed_payload, signed_headers

SLOW_CLIENTS = 100  # over three times the 2 workers x 16 threads


def address(base):
    parts = urlsplit(base)
    return parts.hostname, parts.port


def open_slow(base):
    """A connection that has sent a request line and one header, and never finishes."""
    sock = socket.create_connection(address(base), timeout=10)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
    return sock


def drip(socks, stop):
    """One more header line on every connection each 0.5 s, until `stop`."""
    line = 0
    while not stop.wait(0.5):
        line += 1
        for sock in socks:
            try:
                sock.sendall(f"X-Drip-{line}: 1\r\n".encode())
            except OSError:
                pass


def closed_by_server(sock, seconds):
    """Whether the server closes `sock` within `seconds` (reads EOF or a reset)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_healthz_answers_while_slow_clients_hold_more_connections_than_threads(served):
    base = served.base
    socks = [open_slow(base) for _ in range(SLOW_CLIENTS)]
    stop = threading.Event()
    dripping = threading.Thread(target=drip, args=(socks, stop))
    dripping.start()
    try:
        answers = []
        for _ in range(12):
            answers.append(requests.get(base + "/healthz", timeout=10).status_code)
            time.sleep(0.25)
    finally:
        stop.set()
        dripping.join()
    assert answers == [200] * 12
    assert closed_by_server(socks[0], 30), "a client dripping headers for ever was never closed"
    for sock in socks:
        sock.close()


def test_a_request_arriving_in_pieces_within_the_header_timeout_is_served(served):
    base = served.base
    raw = json.dumps(seed_payload()).encode()
    headers = {"Content-Length": str(len(raw)), **signed_headers(raw)}
    head = "POST /webhooks/jira HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection(address(base), timeout=10) as sock:
        for piece in (head[:20], head[20:60], head[60:], raw[:100], raw[100:]):
            sock.sendall(piece.encode() if isinstance(piece, str) else piece)
            time.sleep(0.3)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 202"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["status"] == "applied"


def test_the_header_timeout_setting_is_checked_before_gunicorn_starts(tmp_path):
    env = {**os.environ, "WEB_HEADER_TIMEOUT": "soon", "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    checked = subprocess.run([sys.executable, "-m", "gunicorn", "--check-config", "app:create_app()"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode != 0
    assert "WEB_HEADER_TIMEOUT" in checked.stdout + checked.stderr
