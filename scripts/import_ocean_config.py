#!/usr/bin/env python3
"""Convert a Port Ocean Jira `port-app-config.yml` into a webhook configuration for this service.

    scripts/import_ocean_config.py port-app-config.yml > mappings/my.yaml

Ocean's mappings read Jira REST objects (`.key`, `.fields.summary`); webhook mappings read the delivery
(`.body.issue.key`). Each expression is rebased onto the object the matching webhook event carries.
Kinds converted: project, issue, user, team, release, sprint, board and component (Jira sends no
component webhooks: the output says so); other kinds are skipped with a note.
What cannot be converted is said on stderr and in the output's header (docs/catalog-model.md).
"""

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass

# Run as a file (python scripts/import_ocean_config.py): make the repository root importable.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from scripts.repo_python import use_repo_python  # noqa: E402

if __name__ == "__main__":
    use_repo_python(__file__)

import yaml  # noqa: E402


@dataclass(frozen=True)
class Kind:
    """Where an Ocean kind's object sits in a webhook delivery, the events that carry it, and what
    to say about the kind once per converted resource."""

    subject: str
    upserts: tuple
    deletes: tuple
    note: str = ""


KINDS = {
    "issue": Kind(".body.issue", ("jira:issue_created", "jira:issue_updated"), ("jira:issue_deleted",)),
    "project": Kind(".body.project", ("project_created", "project_updated", "project_restored_deleted",
                                      "project_restored_archived"),
                    ("project_deleted", "project_soft_deleted", "project_archived")),
    "user": Kind(".body.user", ("user_created", "user_updated"), ("user_deleted",)),
    "team": Kind(".body.team", ("team_created", "team_updated"), ("team_deleted",)),
    # Ocean's release is a project version; jira:version_* events carry it as /rest/api/2/version does.
    "release": Kind(".body.version", ("jira:version_created", "jira:version_updated", "jira:version_released",
                                      "jira:version_unreleased", "jira:version_moved"),
                    ("jira:version_deleted",)),
    "sprint": Kind(".body.sprint", ("sprint_created", "sprint_updated", "sprint_started", "sprint_closed"),
                   ("sprint_deleted",)),
    # board_configuration_changed carries the board's configuration, with the board's id, name and type.
    "board": Kind("(.body.board // .body.configuration)",
                  ("board_created", "board_updated", "board_configuration_changed"), ("board_deleted",)),
    "component": Kind(".body.component", ("component_created", "component_updated"), ("component_deleted",),
                      note="Jira sends no component webhooks (and Ocean has no component kind): these "
                           "mappings apply only to component_created/updated/deleted events an importer "
                           "posts, carrying a /rest/api/2/project/{key}/components object as .body.component"),
}
# Selector options of Ocean's sprint and board kinds that choose objects rather than shape them.
SELECTING_OPTIONS = ("sprintState", "boardType", "projectKey")
# Fields Ocean adds to the REST objects it fetches; webhook deliveries do not carry them.
OCEAN_ADDED_FIELD = re.compile(r"\.__[A-Za-z0-9_]+")
SIMPLE_PATH = re.compile(r"^(\.[A-Za-z_][A-Za-z0-9_]*)+$")
ENTITY_FIELDS = ("identifier", "title", "icon", "team")
SECURITY = {"secret": "${JIRA_WEBHOOK_SECRET}", "signatureHeaderName": "X-Hub-Signature",
            "signatureAlgorithm": "sha256", "signaturePrefix": "sha256=",
            "queryTokenParam": "token", "queryToken": "${JIRA_WEBHOOK_TOKEN}"}


class NotConvertible(ValueError):
    """A part of the Ocean configuration that has no webhook equivalent and cannot be skipped."""


def rebase(expression, subject):
    """An Ocean expression over a REST object, as an expression over the webhook delivery."""
    expression = str(expression).strip()
    if expression == ".":
        return subject
    if SIMPLE_PATH.match(expression):
        return subject + expression
    return f"{subject} | ({expression})"


def blueprint_name(expression, where):
    """Ocean's blueprint is a JQ expression; a webhook mapping names one blueprint, so only a
    string literal (`'"jiraIssue"'`) converts."""
    text = str(expression).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    raise NotConvertible(f"{where}: blueprint {text!r} is computed; a webhook mapping needs one "
                       "blueprint name")


def event_filter(events):
    """A filter matching the deliveries whose webhookEvent is one of `events`."""
    return ".body.webhookEvent | IN(" + ", ".join(json.dumps(e) for e in events) + ")"


def upsert_filter(kind, query):
    """The event filter, and the Ocean selector's query over the object when it is not `true`."""
    base = event_filter(kind.upserts)
    if str(query).strip() in ("", "true"):
        return base
    return f"({base}) and ({rebase(query, kind.subject)})"


def convert_fields(fields, subject, where, notes):
    """Rebase a `{name: expression}` block; search-query values (objects) have no webhook form."""
    converted = {}
    for name, expression in (fields or {}).items():
        if isinstance(expression, dict):
            notes.append(f"{where}.{name}: search queries are not supported; left out")
            continue
        say_ocean_added_fields(expression, f"{where}.{name}", notes)
        converted[name] = rebase(expression, subject)
    return converted


def say_ocean_added_fields(expression, where, notes):
    """A note when an expression reads a field only Ocean's own fetching adds (`.__projectKeys`)."""
    for field in sorted(set(OCEAN_ADDED_FIELD.findall(str(expression)))):
        notes.append(f"{where}: {field} is added by Ocean's fetching, not sent by Jira; it reads null here")


def convert_entity(mapping, subject, where, notes):
    """One Ocean `port.entity.mappings` entry as a webhook mapping's `entity`."""
    if isinstance(mapping.get("identifier"), dict):
        raise NotConvertible(f"{where}: a search-query identifier has no webhook equivalent")
    entity = {}
    for key in (key for key in ENTITY_FIELDS if key in mapping):
        say_ocean_added_fields(mapping[key], f"{where}.{key}", notes)
        entity[key] = rebase(mapping[key], subject)
    for group in ("properties", "relations"):
        block = convert_fields(mapping.get(group), subject, f"{where}.{group}", notes)
        if block:
            entity[group] = block
    return entity


def resource_notes(resource, where, notes):
    """Selector options with no webhook meaning, said once per resource."""
    selector = resource.get("selector") or {}
    if selector.get("jql"):
        notes.append(f"{where}: selector.jql {selector['jql']!r} cannot filter deliveries here; set it "
                     "as the Jira webhook's JQL filter (and the backfill's --jql)")
    for option in sorted(set(selector) - {"query", "jql"}):
        if option in SELECTING_OPTIONS:
            notes.append(f"{where}: selector.{option} {selector[option]!r} chooses what Ocean fetches; "
                         f"not converted: every {resource['kind']} Jira delivers applies, and one leaving "
                         "the selection stays in the catalog (selector.query filters deliveries)")
            continue
        notes.append(f"{where}: selector.{option} is a fetch option; the backfill applies it, "
                     "webhook payloads carry what Jira sends")


def convert_resource(index, resource, delete_dependents, notes):
    """The webhook mappings (upsert, then delete) for one Ocean resource; [] for unknown kinds."""
    where = f"resources[{index}] (kind {resource.get('kind')})"
    kind = KINDS.get(resource.get("kind"))
    if kind is None:
        notes.append(f"{where}: Jira sends no webhook for this kind; skipped")
        return []
    if kind.note:
        notes.append(f"{where}: {kind.note}")
    resource_notes(resource, where, notes)
    port = resource.get("port") or {}
    mappings = (port.get("entity") or {}).get("mappings")
    mappings = mappings if isinstance(mappings, list) else [mappings or {}]
    items = port.get("itemsToParse")
    subject = f"({kind.subject} + {{item: .item}})" if items else kind.subject
    converted = []
    for number, mapping in enumerate(mappings):
        spot = f"{where}.port.entity.mappings[{number}]"
        blueprint = blueprint_name(mapping.get("blueprint", ""), spot)
        upsert = {"blueprint": blueprint,
                  "filter": upsert_filter(kind, (resource.get("selector") or {}).get("query", "true"))}
        if items:
            upsert["itemsToParse"] = rebase(items, kind.subject)
        upsert["entity"] = convert_entity(mapping, subject, spot, notes)
        converted.append(upsert)
        if not items:
            converted.append(delete_mapping(kind, blueprint, upsert["entity"], delete_dependents))
    return converted


def delete_mapping(kind, blueprint, entity, delete_dependents):
    """A deletion of the same entity on the kind's deletion events."""
    operation = {"type": "delete", "deleteDependents": True} if delete_dependents else "delete"
    return {"blueprint": blueprint, "filter": event_filter(kind.deletes),
            "entity": {"identifier": entity["identifier"]}, "operation": operation}


def convert(ocean, identifier="jira-ocean"):
    """(webhook configuration dict, notes) from a loaded Ocean `port-app-config.yml`."""
    if not isinstance(ocean, dict) or not isinstance(ocean.get("resources"), list):
        raise NotConvertible("not an Ocean port-app-config: no 'resources' list")
    notes = []
    if ocean.get("createMissingRelatedEntities"):
        notes.append("createMissingRelatedEntities: set CREATE_MISSING_RELATED_ENTITIES=true "
                     "(one setting for the whole service)")
    delete_dependents = bool(ocean.get("deleteDependentEntities"))
    mappings = []
    for index, resource in enumerate(ocean["resources"]):
        mappings.extend(convert_resource(index, resource, delete_dependents, notes))
    config = {"identifier": identifier, "title": "Jira (imported from Ocean)",
              "description": "Converted from a Port Ocean port-app-config.yml", "icon": "Jira",
              "enabled": True, "security": dict(SECURITY), "mappings": mappings}
    return config, notes


def render(config, notes):
    """The configuration as YAML, its notes as a comment header."""
    header = ["# Converted by scripts/import_ocean_config.py from a Port Ocean port-app-config.yml.",
              "# Served at POST /webhooks/" + config["identifier"] + "."]
    header += [f"# NOTE: {note}" for note in notes]
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=1000)
    return "\n".join(header) + "\n" + body


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="the Ocean port-app-config.yml")
    parser.add_argument("--identifier", default="jira-ocean",
                        help="the webhook identifier (served at /webhooks/<identifier>)")
    args = parser.parse_args(argv)
    try:
        with open(args.config, encoding="utf-8") as handle:
            ocean = yaml.safe_load(handle)
        config, notes = convert(ocean, args.identifier)
    except (OSError, yaml.YAMLError, NotConvertible) as exc:
        print(f"import_ocean_config: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    sys.stdout.write(render(config, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
