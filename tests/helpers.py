"""Small helpers the tests share: fixtures on disk, signing like Jira, posting events."""

import contextlib
import copy
import json
import threading
import uuid
from pathlib import Path

from werkzeug.serving import make_server

from app.security import sign_body

FIXTURES = Path(__file__).parent / "fixtures" / "jira-payloads"
SECRET = "test-webhook-secret"


def load_fixture(name):
    """A JSON fixture shipped in tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def seed_payload(**changes):
    """The seed's example issue_created payload, with top-level keys replaced."""
    payload = copy.deepcopy(load_fixture("seed-issue-created.json"))
    payload.update(changes)
    return payload


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


SEED_OCEAN = Path(__file__).parent / "fixtures" / "seed-ocean"
# What the seed's example responses lack but its entities show: the project's issue count (fetched
# with expand=insight) and the team's members (fetched with includeMembers), added as Jira would.
SEED_INSIGHT = {"totalIssueCount": 100, "lastIssueUpdateTime": "2023-11-06T11:03:18.244+0000"}
SEED_TEAM_MEMBERS = {"T-PA": [{"accountId": "U-PA"}, {"accountId": "U-PA-2"}]}


def seed_ocean(name):
    """A file of tests/fixtures/seed-ocean: the seed's Ocean example responses and entities."""
    return json.loads((SEED_OCEAN / name).read_text(encoding="utf-8"))


def seed_ocean_objects():
    """The seed's example objects as the Ocean integration (and the backfill) fetch them, by kind."""
    project = {**seed_ocean("project-response.json"), "insight": SEED_INSIGHT}
    teams = [{**team, "__members": SEED_TEAM_MEMBERS.get(team["teamId"], [])}
             for team in seed_ocean("teams-response.json")]
    return {"project": [project], "user": seed_ocean("users-response.json"), "team": teams,
            "issue": [seed_ocean("issue-response.json")]}


def catalog_event(kind, item, event=None):
    """A webhook-shaped event carrying one REST object, as Jira (or the backfill) posts it."""
    default = "jira:issue_updated" if kind == "issue" else f"{kind}_updated"
    return {"timestamp": 1700000000000, "webhookEvent": event or default, kind: item}


BLUEPRINTS = {"project": "jiraProject", "user": "jiraUser", "team": "jiraTeam", "issue": "jiraIssue"}
SEED_ACCOUNT = "712020:05acda87-42da-44d8-b21e-f71a508e5d11"
# Where the seed's example entities contradict its own mappings (tests/fixtures/seed-ocean/README.md).
SEED_CORRECTIONS = {
    "team": {"title": "AI"},
    "issue": {"properties": {"labels": ["infra"]},
              "relations": {"assignee": SEED_ACCOUNT, "reporter": SEED_ACCOUNT}},
}


def expected_entity(kind):
    """The seed's example entity (identifier, title, properties, relations) with the corrections."""
    seed = seed_ocean(f"{kind}-entity.json")
    expected = {key: copy.deepcopy(seed[key]) for key in ("identifier", "title", "properties",
                                                           "relations")}
    for key, value in SEED_CORRECTIONS.get(kind, {}).items():
        expected[key] = {**expected[key], **value} if isinstance(value, dict) else value
    return expected


def comparable(entity):
    """An entity's identifying parts; properties the mapping left null are absent, as in Port."""
    return {"identifier": entity["identifier"], "title": entity["title"],
            "properties": {k: v for k, v in entity["properties"].items() if v is not None},
            "relations": entity["relations"]}
