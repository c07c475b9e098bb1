"""The pure translation: (webhook configuration, request) -> entity changes, or a failure.

Shared by the webhook path, replay and the backfill's dry run; it touches no database.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from ..jq.dialect import Program, first_outputs
from ..jq.fastpath import run_plan
from ..jq.sandbox import JqLimitError
from .blueprints import EntityInvalid, check_entity, check_identifier
from .configs import Mapping, WebhookConfig


@dataclass(frozen=True)
class EntityChange:
    """One entity to upsert or delete."""

    blueprint: str
    identifier: str
    operation: str
    entity: dict
    delete_dependents: bool = False
    mapping: int = 0


@dataclass(frozen=True)
class Failure:
    """Why an event could not be translated, and the mapping/field it came from."""

    reason: str
    message: str
    mapping: int | None = None
    field: str | None = None

    def as_dict(self) -> dict:
        return {"reason": self.reason, "message": self.message,
                "mapping": self.mapping, "field": self.field}


@dataclass(frozen=True)
class Translation:
    """The outcome of translating one event: its changes or its failure; `matched` holds the
    indexes of the mappings whose filter matched, and `ignored` why an event without changes or
    failure changed nothing."""

    changes: tuple = ()
    failure: Failure | None = None
    matched: tuple = ()
    ignored: Failure | None = None


def build_jq_input(body: dict, headers: dict[str, str], query_params: dict[str, str],
                   jira: dict | None = None) -> dict:
    """The document mapping expressions read: body, lower-cased headers, query parameters and, when
    given, what the service knows of Jira (``jira.fields``: custom field ids by role)."""
    document = {"body": body, "headers": {k.lower(): v for k, v in headers.items()},
                "queryParams": dict(query_params)}
    if jira is not None:
        document["jira"] = jira
    return document


def build_jq_input_text(body_text: str, headers: dict[str, str], query_params: dict[str, str],
                        jira: dict | None = None) -> str:
    """The same document as JSON text, reusing the already-validated raw body as is."""
    rest = json.dumps({k.lower(): v for k, v in headers.items()}), json.dumps(dict(query_params))
    known = "" if jira is None else f',"jira":{json.dumps(jira)}'
    return f'{{"body":{body_text},"headers":{rest[0]},"queryParams":{rest[1]}{known}}}'


def run_program(program: Program, jq_input: dict | str) -> object:
    """First output of a program over a dict or over JSON text; a program stopped by the sandbox's
    limits raises ValueError, as a jq error does."""
    try:
        return program.first(jq_input)
    except JqLimitError as exc:
        raise ValueError(exc.message) from None


def evaluate_mapping(mapping: Mapping, document: dict | None, jq_input: dict | str) -> dict:
    """The mapping program's result, by the fast path when it has one and it succeeds."""
    if mapping.fast is not None and document is not None:
        try:
            return run_plan(mapping.fast, document)
        except ValueError:
            pass  # errors are reported (and attributed) by the full program below
    return mapping.program.first(jq_input)


def translate(config: WebhookConfig, jq_input: dict | str, body: dict | None = None) -> Translation:
    """Apply every mapping of `config` to one event; any failure voids the whole event.

    `body` (the parsed request body, taken from a dict `jq_input` when not given) lets an issue
    that changed key delete the entity under its old key.
    """
    if body is None and isinstance(jq_input, dict):
        body = jq_input.get("body")
    translation = translate_mappings(config, jq_input)
    moved = moved_keys(body)
    if translation.failure or not moved:
        return translation
    return Translation(changes=add_move_deletes(translation.changes, moved), matched=translation.matched)


def translate_mappings(config: WebhookConfig, jq_input: dict | str) -> Translation:
    """The changes every mapping produces, or the first failure.

    `jq_input` is the document (see build_jq_input), whose strings must be valid Unicode (no lone
    surrogate), or its JSON text; only a document takes the fast path."""
    document = jq_input if isinstance(jq_input, dict) else None
    changes, matched = [], []
    for mapping in config.mappings:
        try:
            result = evaluate_mapping(mapping, document, jq_input)
        except ValueError as exc:
            return Translation(failure=locate_runtime_error(mapping, jq_input, exc))
        except JqLimitError as exc:
            return Translation(failure=Failure(exc.reason, exc.message, mapping.index))
        if not result["matched"]:
            continue
        matched.append(mapping.index)
        for produced in result["entities"]:
            change = make_change(mapping, produced)
            if isinstance(change, Failure):
                return Translation(failure=change)
            changes.append(change)
    return Translation(changes=tuple(changes), matched=tuple(matched))


def make_change(mapping: Mapping, produced: dict) -> EntityChange | Failure:
    """An EntityChange from one entity the program produced, or the Failure it amounts to."""
    identifier = produced.get("identifier")
    if identifier is None or identifier == "":
        return Failure("missing_identifier", "the identifier expression produced no value",
                       mapping.index, "entity.identifier")
    entity = {"identifier": identifier, "blueprint": mapping.blueprint,
              **{k: produced[k] for k in ("title", "icon", "team") if k in produced},
              "properties": produced["properties"], "relations": produced["relations"]}
    try:
        if mapping.operation == "upsert":
            check_entity(mapping.target, entity)  # the identifier's check among them
            check_title(entity)
        else:
            check_identifier(identifier)
    except EntityInvalid as exc:
        return Failure("blueprint_violation", str(exc), mapping.index, f"entity.{exc.field}")
    return EntityChange(mapping.blueprint, identifier, mapping.operation, entity,
                        mapping.delete_dependents, mapping.index)


def check_title(entity: dict) -> None:
    """Titles and icons are strings when present; a team is a string or a list of strings."""
    for key in ("title", "icon"):
        if entity.get(key) is not None and not isinstance(entity[key], str):
            raise EntityInvalid(f"{key} must be a string, got {entity[key]!r}", key)
    team = entity.get("team")
    if team is not None and not (isinstance(team, str) or
                                 isinstance(team, list) and all(isinstance(t, str) for t in team)):
        raise EntityInvalid(f"team must be a string or a list of strings, got {team!r}", "team")


def moved_keys(body: object) -> dict[str, str]:
    """{new key: old key} from a Jira changelog's `Key` item (an issue moved to another project)."""
    if not isinstance(body, dict) or not isinstance(body.get("changelog"), dict):
        return {}
    items = body["changelog"].get("items")
    return {item["toString"]: item["fromString"] for item in items or ()
            if isinstance(item, dict) and item.get("field") == "Key"
            and isinstance(item.get("toString"), str) and isinstance(item.get("fromString"), str)
            and item["toString"] != item["fromString"]}


def add_move_deletes(changes: Iterable[EntityChange], moved: dict[str, str]) -> tuple[EntityChange, ...]:
    """Put a delete of the old key before each upsert of a moved issue's new key."""
    result = []
    for change in changes:
        old = moved.get(change.identifier)
        if change.operation == "upsert" and old:
            result.append(EntityChange(change.blueprint, old, "delete",
                                       {"identifier": old, "blueprint": change.blueprint},
                                       False, change.mapping))
        result.append(change)
    return tuple(result)


def locate_runtime_error(mapping: Mapping, jq_input: dict | str, error: ValueError) -> Failure:
    """Re-run the mapping field by field to name the expression that raised `error`; each field
    runs over all its documents (one per item with itemsToParse) in one round trip to the sandbox."""
    document = jq_input if isinstance(jq_input, dict) else json.loads(jq_input)
    try:
        items = item_inputs(mapping, document) if mapping.has_items else []
        for name, program in mapping.field_programs.items():
            per_item = name.startswith("entity.") and mapping.has_items
            outputs = first_outputs((program, candidate) for candidate in
                                    (items if per_item else [document]))
            message = next((str(out) for out in outputs if isinstance(out, ValueError)), None)
            if message:
                return Failure("jq_runtime_error", message, mapping.index, name)
    except JqLimitError as exc:
        return Failure(exc.reason, exc.message, mapping.index)
    return Failure("jq_runtime_error", str(error), mapping.index, None)


def item_inputs(mapping: Mapping, document: dict) -> list[dict]:
    """The per-item documents (`.item` set) a mapping with itemsToParse evaluates."""
    try:
        items = mapping.field_programs["itemsToParse"].first_of_value(document)
    except (ValueError, StopIteration):
        return []
    return [{**document, "item": item} for item in items] if isinstance(items, list) else []
