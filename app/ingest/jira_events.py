"""Webhook-shaped events built from Jira REST objects, signed the way Jira signs its deliveries: what
the backfill posts and the reconcile passes process in the service.

Standard library and the light `security` and `versions` modules only, so the backfill script builds
its events without loading the web app."""

from __future__ import annotations

import json
import time
import uuid
from functools import partial

import orjson

from .security import sign_body
from .versions import parse_jira_time

UPDATE_EVENTS = {"issue": "jira:issue_updated", "project": "project_updated", "user": "user_updated",
                 "team": "team_updated", "release": "jira:version_updated", "sprint": "sprint_updated",
                 "board": "board_updated", "component": "component_updated"}
DELETE_EVENTS = {"issue": "jira:issue_deleted", "project": "project_deleted", "user": "user_deleted",
                 "team": "team_deleted", "release": "jira:version_deleted", "sprint": "sprint_deleted",
                 "board": "board_deleted", "component": "component_deleted"}
# The body key under which each kind's webhooks carry their object, where it is not the kind's name.
BODY_KEYS = {"release": "version"}
# Kinds whose objects Jira identifies by their numeric `id` (a string in catalog identifiers).
ID_KINDS = ("release", "sprint", "board", "component")


def now_ms() -> int:
    """The current time in epoch milliseconds, Jira's ``timestamp`` unit."""
    return int(time.time() * 1000)


def build_issue_event(issue: dict) -> dict:
    """A ``jira:issue_updated`` delivery carrying the whole issue, stamped with its last update."""
    fields = issue.get("fields") or {}
    event = {
        "timestamp": parse_jira_time(fields.get("updated")) or now_ms(),
        "webhookEvent": UPDATE_EVENTS["issue"],
        "issue_event_type_name": "issue_updated",
        "issue": issue,
    }
    # Search results do not say who made the last change; the creator (as the seed's import used) or
    # the reporter is the best-known person attached to the issue.
    user = fields.get("creator") or fields.get("reporter")
    if user:
        event["user"] = user
    return event


def build_project_event(project: dict) -> dict:
    """A ``project_updated`` delivery; Jira's webhooks name the lead ``projectLead``."""
    project = dict(project)
    if "lead" in project:
        project.setdefault("projectLead", project["lead"])
    return {"timestamp": now_ms(), "webhookEvent": UPDATE_EVENTS["project"], "project": project}


def build_user_event(user: dict) -> dict:
    """A ``user_updated`` delivery."""
    return {"timestamp": now_ms(), "webhookEvent": UPDATE_EVENTS["user"], "user": user}


def build_team_event(team: dict) -> dict:
    """A ``team_updated`` delivery: Jira has none, so this is the service's own shape (the Teams API
    object with its members as ``__members``, as Ocean hands teams to mappings)."""
    return {"timestamp": now_ms(), "webhookEvent": UPDATE_EVENTS["team"], "team": team}


def build_object_event(kind: str, item: dict) -> dict:
    """The update delivery of a release, sprint, board or component: Jira's webhooks carry the same
    object as its REST API lists (``jira:version_updated`` under ``version``, ``sprint_updated`` under
    ``sprint``, ...)."""
    return {"timestamp": now_ms(), "webhookEvent": UPDATE_EVENTS[kind], body_key(kind): item}


def body_key(kind: str) -> str:
    """The key of the body that holds a ``kind`` object."""
    return BODY_KEYS.get(kind, kind)


BUILDERS = {"issue": build_issue_event, "project": build_project_event, "user": build_user_event,
            "team": build_team_event, **{kind: partial(build_object_event, kind) for kind in ID_KINDS}}


def build_event(kind: str, item: dict) -> dict:
    """The update event for one fetched ``kind`` object."""
    return BUILDERS[kind](item)


def build_delete_event(kind: str, identifier: str, cloud: bool) -> dict:
    """The deletion event Jira would send for the object behind a catalog entity identifier.

    It carries no ``timestamp``: stamped "now", the tombstone would outrank the object's own history, and
    a later run selecting it again (same ``updated``) would be refused as stale. Without one, the service
    keeps the entity's last version on the tombstone.
    """
    if kind == "issue":
        subject = {"key": identifier, "fields": {}}
    elif kind == "project":
        subject = {"key": identifier}
    elif kind == "team":
        subject = {"teamId": identifier}
    elif kind in ID_KINDS:
        subject = {"id": identifier}
    else:
        subject = {"accountId": identifier} if cloud else {"name": identifier, "key": identifier}
    return {"webhookEvent": DELETE_EVENTS[kind], body_key(kind): subject}


def encode(event: dict) -> bytes:
    """The raw body to post (and sign): compact UTF-8 JSON."""
    try:
        return orjson.dumps(event)
    except orjson.JSONEncodeError:  # integers past 64 bits, which only the standard library writes
        return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def delivery_headers(body: bytes, secret: str | None) -> dict:
    """Headers of one delivery: content type, a fresh delivery id, and the signature when a secret is set."""
    headers = {"Content-Type": "application/json", "X-Atlassian-Webhook-Identifier": f"backfill-{uuid.uuid4()}"}
    if secret:
        headers["X-Hub-Signature"] = sign_body(secret, body)
    return headers
