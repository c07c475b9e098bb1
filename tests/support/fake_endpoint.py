"""A stand-in webhook endpoint for backfill tests that need failures the real service would not produce
on demand (5xx, 429, connections dropped): answers /healthz, records deliveries, checks signatures,
answers 202 like the service (``ignored`` for events it does not know, such as the backfill's probe) and
lists the identifiers it holds through the read API's shape. Pages of events (`application/x-ndjson`)
are answered per line like the service's (a failing identifier's line `invalid_line`), or refused 415
with ``pages = False`` as a service without them would."""

from __future__ import annotations

import hmac
import json
from collections import Counter

from tests.support.fake_http import DROP, JsonServer, Request
from tests.support.helpers import sign

SUBJECTS = {"jira:issue": ("issue", "jiraIssue", "key"), "project": ("project", "jiraProject", "key"),
            "user": ("user", "jiraUser", "accountId")}


class FakeEndpoint(JsonServer):
    """Keeps one entity per identifier and blueprint, created by update events and removed by delete events."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret
        self.entities: dict[str, dict[str, dict]] = {"jiraIssue": {}, "jiraProject": {}, "jiraUser": {}}
        self.deliveries: list[dict] = []
        self.failing: set[str] = set()
        # From this many recorded deliveries on, connections are closed without an answer.
        self.drop_after: int | None = None
        self.pages = True

    def dispatch(self, request: Request):
        """/healthz answers whatever failures are injected: they stand for failing deliveries."""
        if request.method == "GET" and request.path == "/healthz":
            return 200, {"ok": True}, {}
        return super().dispatch(request)

    def route(self, request: Request):
        """Webhook deliveries and the entity list."""
        if request.method == "POST" and request.path.startswith("/webhooks/"):
            return self.receive(request)
        parts = request.path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 4 and parts[:2] == ["v1", "blueprints"]:
            return self.list_entities(parts[2], int(request.query.get("offset", 0)),
                                      int(request.query.get("limit", 100)))
        return 404, {"ok": False, "reason": "not_found", "message": request.path}, {}

    def receive(self, request: Request):
        """Check the signature, then apply the event."""
        if not hmac.compare_digest(request.headers.get("X-Hub-Signature", ""), sign(request.body, self.secret)):
            return 401, {"ok": False, "reason": "bad_signature", "message": "signature mismatch"}, {}
        if request.headers.get("Content-Type") == "application/x-ndjson":
            return self.receive_page(request.body)
        body = request.json()
        if self.drop_after is not None and self.recorded(body) and len(self.deliveries) >= self.drop_after:
            return DROP
        status, answer = self.apply(body)
        return status, answer, {}

    def receive_page(self, raw: bytes):
        """Apply each line's event; a failing identifier fails its line alone, as a bad line would."""
        if not self.pages:
            return 415, {"ok": False, "reason": "unsupported_content_type", "message": "no pages here"}, {}
        bodies = [json.loads(line)["body"] for line in raw.split(b"\n")]
        if self.drop_after is not None and len(self.deliveries) + len(bodies) > self.drop_after:
            return DROP
        results = []
        for number, body in enumerate(bodies, start=1):
            status, answer = self.apply(body)
            if status != 202:
                answer = {**answer, "reason": "invalid_line"}
            results.append({**answer, "line": number})
        return 202, {"ok": True, "results": results}, {}

    @staticmethod
    def recorded(body: dict) -> bool:
        """Whether the event is one this endpoint records (the probe, for one, is not)."""
        return str(body.get("webhookEvent")).rpartition("_")[0] in SUBJECTS

    def apply(self, body: dict) -> tuple[int, dict]:
        """Record one event: its status and answer."""
        prefix, _, action = str(body.get("webhookEvent")).rpartition("_")
        if prefix not in SUBJECTS:
            return 202, {"ok": True, "eventId": None, "status": "ignored", "entities": []}
        key_name, blueprint, id_field = SUBJECTS[prefix]
        identifier = body[key_name][id_field]
        if identifier in self.failing:
            return 500, {"ok": False, "reason": "internal", "message": f"cannot store {identifier}"}
        self.deliveries.append(body)
        if action == "deleted":
            self.entities[blueprint].pop(identifier, None)
        else:
            self.entities[blueprint][identifier] = {"identifier": identifier, "blueprint": blueprint}
        operation = "delete" if action == "deleted" else "upsert"
        return 202, {"ok": True, "eventId": len(self.deliveries), "status": "applied",
                     "entities": [{"blueprint": blueprint, "identifier": identifier, "operation": operation}]}

    def list_entities(self, blueprint: str, offset: int, limit: int):
        """A page of the blueprint's entities."""
        entities = sorted(self.entities.get(blueprint, {}).values(), key=lambda e: e["identifier"])
        return 200, {"ok": True, "entities": entities[offset:offset + limit], "total": len(entities)}, {}


class CountingEndpoint(FakeEndpoint):
    """A FakeEndpoint for benchmarks that holds nothing per event: it answers each event as applied and
    counts it by action, keeps no request log, and lists a catalog of ``catalog`` issues made on request
    (``PI-1`` to ``PI-<catalog>``)."""

    logged = False

    def __init__(self, secret: str, catalog: int):
        super().__init__(secret)
        self.catalog = catalog
        self.applied: Counter = Counter()

    def apply(self, body: dict) -> tuple[int, dict]:
        """Answer one event as FakeEndpoint does, counting it instead of keeping it."""
        prefix, _, action = str(body.get("webhookEvent")).rpartition("_")
        if prefix not in SUBJECTS:
            return 202, {"ok": True, "eventId": None, "status": "ignored", "entities": []}
        key_name, blueprint, id_field = SUBJECTS[prefix]
        with self.lock:
            self.applied[action] += 1
        operation = "delete" if action == "deleted" else "upsert"
        return 202, {"ok": True, "eventId": None, "status": "applied", "entities": [
            {"blueprint": blueprint, "identifier": body[key_name][id_field], "operation": operation}]}

    def list_entities(self, blueprint: str, offset: int, limit: int):
        """A page of the made-up catalog (of issues only)."""
        total = self.catalog if blueprint == "jiraIssue" else 0
        entities = [{"identifier": f"PI-{n}", "blueprint": blueprint}
                    for n in range(offset + 1, min(offset + limit, total) + 1)]
        return 200, {"ok": True, "entities": entities, "total": total}, {}


if __name__ == "__main__":
    # python -m tests.support.fake_endpoint SECRET [CATALOG]: serve until killed, in a process of its own (as
    # the benches do); with CATALOG, a CountingEndpoint listing that many issues.
    import sys
    import threading

    server = CountingEndpoint(sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else FakeEndpoint(sys.argv[1])
    with server as endpoint:
        print(endpoint.url, flush=True)
        threading.Event().wait()
