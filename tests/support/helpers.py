"""Small helpers the tests share: fixtures on disk, signing like Jira, posting events, editing a
mappings copy, reading metrics."""

import contextlib
import copy
import json
import re
import threading
import uuid
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from app.ingest.security import sign_body

ROOT = Path(__file__).resolve().parents[2]
# The schema revisions the migrations define, oldest first (their files' names start with their number).
REVISIONS = [re.search(r'^revision = "([^"]+)"', path.read_text(encoding="utf-8"), re.M).group(1)
             for path in sorted((ROOT / "app/catalog/migrations/versions").glob("[0-9]*.py"))]
FIXTURES = ROOT / "tests" / "fixtures" / "jira-payloads"
SECRET = "test-webhook-secret"


def load_fixture(name):
    """A JSON fixture shipped in tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def seed_payload(**changes):
    """The seed's example issue_created payload, with top-level keys replaced."""
    payload = copy.deepcopy(load_fixture("seed-issue-created.json"))
    payload.update(changes)
    return payload


def issue(key, summary="s", timestamp=1700000000000, **fields):
    """The seed payload for another issue: its key, summary, timestamp and other fields replaced."""
    payload = seed_payload(timestamp=timestamp)
    payload["issue"] = copy.deepcopy(payload["issue"])
    payload["issue"]["key"] = key
    payload["issue"]["fields"].update(summary=summary, **fields)
    return payload


def edit_jira(mappings_dir, change):
    """Load mappings/jira.yaml, let `change` edit it, write it back."""
    path = mappings_dir / "jira.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def sign(body, secret=SECRET):
    """The X-Hub-Signature Jira sends for a raw body."""
    return sign_body(secret, body)


def signed_headers(body, secret=SECRET, delivery_id=None):
    """Headers of a signed Jira delivery with a fresh (or given) delivery id."""
    return {"Content-Type": "application/json", "X-Hub-Signature": sign(body, secret),
            "X-Atlassian-Webhook-Identifier": delivery_id or str(uuid.uuid4())}


def post_event(client, payload, webhook="jira", secret=SECRET, delivery_id=None):
    """POST a payload (dict or raw bytes) signed like Jira; returns the response."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
    return client.post(f"/webhooks/{webhook}", data=body,
                       headers=signed_headers(body, secret, delivery_id))


def page_line(payload, delivery_id=None, **headers):
    """One line of an application/x-ndjson page: the payload with a delivery id (fresh or given)."""
    headers = {"X-Atlassian-Webhook-Identifier": delivery_id or str(uuid.uuid4()), **headers}
    return json.dumps({"headers": headers, "body": payload}).encode("utf-8")


def page_body(lines):
    """A page's raw body: its lines (payload dicts made into lines, bytes kept as they are)."""
    return b"".join((line if isinstance(line, bytes) else page_line(line)) + b"\n" for line in lines)


def post_page(client, lines, webhook="jira", secret=SECRET):
    """POST a page of events signed over the whole body; returns the response."""
    body = lines if isinstance(lines, bytes) else page_body(lines)
    return client.post(f"/webhooks/{webhook}", data=body, headers={
        "Content-Type": "application/x-ndjson", "X-Hub-Signature": sign(body, secret)})


def post_mix(client):
    """Post one event of each outcome: applied, ignored and failed."""
    post_event(client, seed_payload())
    post_event(client, {"webhookEvent": "sprint_started"})
    bad = seed_payload(timestamp=1)
    bad["issue"]["fields"]["summary"] = ["not", "text"]
    post_event(client, bad)


def samples(text):
    """{(name, sorted labels): value} of an exposition text."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@contextlib.contextmanager
def serve_http(app):
    """Serve `app` over real HTTP on 127.0.0.1 from a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def run_in_threads(target, count):
    """Run `target` in `count` threads at once and wait for them all."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_for(condition, seconds=10):
    """Poll `condition` until true; fail after `seconds`."""
    ticks = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        ticks.wait(0.01)
    raise AssertionError("condition not reached in time")
