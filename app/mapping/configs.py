"""Webhook configurations in Port's format: schema, `${NAME}` substitution in security values,
compiled JQ."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..errors import ConfigError
from ..jq.dialect import JqCompileError, compile_expression, compile_program, first_of, object_of
from ..jq.fastpath import plan_mapping
from .blueprints import Blueprint, load_blueprints

ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CONFIG_SUFFIXES = {".yaml", ".yml", ".json"}
ALGORITHMS = ("sha1", "sha256", "plain")
# Security values that are JQ (never substituted: an expression must not see the environment).
SECURITY_JQ_FIELDS = ("requestIdentifierPath",)
ARRAY_CHECK = 'if type == "array" then . else error("itemsToParse did not yield an array") end'


class EntitySchema(Schema):
    identifier = fields.String(required=True)
    title = fields.String()
    icon = fields.String()
    team = fields.String()
    properties = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    relations = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class OperationField(fields.Field):
    """`"create"`, `"delete"`, or `{"type": "delete", "deleteDependents": bool}`."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs) -> dict:
        if value in ("create", "delete"):
            return {"type": value, "deleteDependents": False}
        if isinstance(value, dict) and value.get("type") in ("create", "delete") \
                and set(value) <= {"type", "deleteDependents"} \
                and isinstance(value.get("deleteDependents", False), bool):
            return {"type": value["type"], "deleteDependents": value.get("deleteDependents", False)}
        raise ValidationError('expected "create", "delete" or {"type": "delete", '
                              '"deleteDependents": true|false}')


class MappingSchema(Schema):
    blueprint = fields.String(required=True)
    filter = fields.String(load_default="true")
    itemsToParse = fields.String()
    entity = fields.Nested(EntitySchema, required=True)
    operation = OperationField(load_default=lambda: {"type": "create", "deleteDependents": False})


class SecuritySchema(Schema):
    secret = fields.String(load_default="")
    signatureHeaderName = fields.String(load_default="")
    signatureAlgorithm = fields.String(validate=validate.OneOf(ALGORITHMS), load_default="sha256")
    signaturePrefix = fields.String(load_default="")
    requestIdentifierPath = fields.String()
    queryTokenParam = fields.String()
    queryToken = fields.String(load_default="")

    @validates_schema
    def check_header(self, data: dict, **kwargs) -> None:
        if data["secret"] and not data["signatureHeaderName"]:
            raise ValidationError("a secret needs a signatureHeaderName", "signatureHeaderName")


class WebhookConfigSchema(Schema):
    identifier = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]+$"))
    title = fields.String(load_default="")
    description = fields.String(load_default="")
    icon = fields.String(load_default="")
    enabled = fields.Boolean(load_default=True)
    integrationType = fields.String()
    mappings = fields.List(fields.Nested(MappingSchema), required=True)
    security = fields.Nested(SecuritySchema, load_default=lambda: SecuritySchema().load({}))


@dataclass(frozen=True)
class Mapping:
    """One mapping entry, its expressions compiled once into one jq program; `target` is the
    loaded blueprint its entities must satisfy."""

    index: int
    blueprint: str
    target: Blueprint
    operation: str
    delete_dependents: bool
    expressions: dict
    has_items: bool
    program: object
    field_programs: dict = field(repr=False, default_factory=dict)
    fast: object = field(repr=False, default=None)


@dataclass(frozen=True)
class WebhookConfig:
    """A webhook configuration: where it came from, its security and its mappings."""

    identifier: str
    title: str
    enabled: bool
    security: dict
    mappings: tuple
    source: str
    request_id_program: object = None
    description: str = ""
    icon: str = ""
    # The setting each security value reads when it is written as a single ${NAME}
    # (secret -> JIRA_WEBHOOK_SECRET): what error messages tell the operator to set.
    references: dict = field(default_factory=dict)


def security_references(raw: object) -> dict[str, str]:
    """{security key: NAME} for each security value of a loaded document that is exactly `${NAME}`."""
    security = raw.get("security") if isinstance(raw, dict) else None
    if not isinstance(security, dict):
        return {}
    found = {key: ENV_REFERENCE.fullmatch(value) for key, value in security.items()
             if isinstance(value, str) and key not in SECURITY_JQ_FIELDS}
    return {key: match.group(1) for key, match in found.items() if match}


def substitute_env(document: object, env: dict[str, str]) -> object:
    """The loaded document with `${NAME}` replaced in its `security` string values (but JQ ones);
    unset names become ''. Nothing else is substituted: JQ never sees the environment."""
    if not isinstance(document, dict) or not isinstance(document.get("security"), dict):
        return document
    security = {key: ENV_REFERENCE.sub(lambda m: env.get(m.group(1), ""), value)
                if isinstance(value, str) and key not in SECURITY_JQ_FIELDS else value
                for key, value in document["security"].items()}
    return {**document, "security": security}


def check_no_reference(expression: str, source: str, where: str, field_name: str) -> None:
    """A `${` in a JQ expression is refused: references are substituted in security values only."""
    if "${" in expression:
        raise ConfigError(f"{source}: {where}, field {field_name}: `${{` in a JQ expression; "
                          "${NAME} references are substituted in security values only, never in "
                          'JQ (to match the text itself, write "\\u0024{")')


def load_webhook_configs(mappings_dir: str | Path, env: dict[str, str],
                         blueprints: dict[str, Blueprint] | None = None) -> dict[str, WebhookConfig]:
    """Every configuration file in `mappings_dir`, validated and compiled, by identifier."""
    directory = Path(mappings_dir)
    if not directory.is_dir():
        raise ConfigError(f"setting MAPPINGS_DIR: {directory} is not a directory")
    if blueprints is None:
        blueprints = load_blueprints(directory / "blueprints")
    configs = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES):
        config = load_config_file(path, env, blueprints)
        if config.identifier in configs:
            raise ConfigError(f"{path}: webhook identifier {config.identifier!r} is already "
                              f"used by {configs[config.identifier].source}")
        configs[config.identifier] = config
    return configs


def load_config_file(path: Path, env: dict[str, str], blueprints: dict[str, Blueprint]) -> WebhookConfig:
    """Parse, validate and compile one configuration file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON: {exc}") from None
    return build_config(raw, str(path), env, blueprints)


def build_config(raw: object, source: str, env: dict[str, str], blueprints: dict[str, Blueprint]) -> WebhookConfig:
    """Validate a loaded document and compile it into a WebhookConfig."""
    try:
        data = WebhookConfigSchema().load(substitute_env(raw, env))
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_errors(exc.messages)}") from None
    mappings = tuple(build_mapping(i, m, source, blueprints) for i, m in enumerate(data["mappings"]))
    security = data["security"]
    request_id = security.get("requestIdentifierPath")
    return WebhookConfig(
        identifier=data["identifier"], title=data["title"], enabled=data["enabled"],
        security=security, mappings=mappings, source=source,
        request_id_program=compile_field(request_id, source, "security", "requestIdentifierPath")
        if request_id else None,
        description=data["description"], icon=data["icon"], references=security_references(raw))


def describe_errors(messages: object, prefix: str = "") -> str:
    """marshmallow's nested messages as `a.b.c: message` phrases."""
    if isinstance(messages, dict):
        return "; ".join(describe_errors(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"field {prefix.rstrip('.')}: {' '.join(messages)}"
    return f"field {prefix.rstrip('.')}: {messages}"


def compile_field(expression: str, source: str, where: str, field_name: str) -> object:
    """Compile one expression, naming file, mapping and field when it holds `${` or does not
    compile."""
    check_no_reference(expression, source, where, field_name)
    try:
        return compile_expression(expression)
    except JqCompileError as exc:
        raise ConfigError(f"{source}: {where}, field {field_name}: JQ does not compile: "
                          f"{expression!r}: {exc}") from None


def mapping_fields(data: dict) -> dict[str, str]:
    """The mapping's expressions keyed by their field path (`entity.properties.x`)."""
    entity = data["entity"]
    exprs = {"filter": data["filter"]}
    if "itemsToParse" in data:
        exprs["itemsToParse"] = data["itemsToParse"]
    for key in ("identifier", "title", "icon", "team"):
        if key in entity:
            exprs[f"entity.{key}"] = entity[key]
    for group in ("properties", "relations"):
        for name, expr in entity[group].items():
            exprs[f"entity.{group}.{name}"] = expr
    return exprs


def build_mapping(index: int, data: dict, source: str, blueprints: dict[str, Blueprint]) -> Mapping:
    """Check a mapping entry against its blueprint and compile its program."""
    where = f"mapping {index} (blueprint {data['blueprint']})"
    check_blueprint_refs(data, blueprints, source, where)
    exprs = mapping_fields(data)
    field_programs = {name: compile_field(expr, source, where, name) for name, expr in exprs.items()}
    if "itemsToParse" in exprs:
        field_programs["itemsToParse"] = compile_field(
            f"({exprs['itemsToParse']}) | {ARRAY_CHECK}", source, where, "itemsToParse")
    program = compile_program(mapping_program(data))
    operation = data["operation"]
    return Mapping(index=index, blueprint=data["blueprint"], target=blueprints[data["blueprint"]],
                   operation="delete" if operation["type"] == "delete" else "upsert",
                   delete_dependents=operation["deleteDependents"], expressions=exprs,
                   has_items="itemsToParse" in data, program=program,
                   field_programs=field_programs, fast=plan_mapping(exprs))


def check_blueprint_refs(data: dict, blueprints: dict[str, Blueprint], source: str, where: str) -> None:
    """The blueprint, its properties and relations must exist."""
    blueprint = blueprints.get(data["blueprint"])
    if blueprint is None:
        raise ConfigError(f"{source}: {where}, field blueprint: no blueprint "
                          f"{data['blueprint']!r} in the blueprints directory")
    for name in data["entity"]["properties"]:
        if name not in blueprint.properties:
            raise ConfigError(f"{source}: {where}, field entity.properties.{name}: "
                              f"not a property of blueprint {blueprint.identifier!r}")
    for name in data["entity"]["relations"]:
        if name not in blueprint.relations:
            raise ConfigError(f"{source}: {where}, field entity.relations.{name}: "
                              f"not a relation of blueprint {blueprint.identifier!r}")


def mapping_program(data: dict) -> str:
    """One jq program evaluating filter, items and every entity field of a mapping at once."""
    entity = data["entity"]
    parts = {key: first_of(entity[key]) for key in ("identifier", "title", "icon", "team")
             if key in entity}
    parts["properties"] = object_of(entity["properties"])
    parts["relations"] = object_of(entity["relations"])
    entity_obj = "{" + ", ".join(f"{k}: {v}" for k, v in parts.items()) + "}"
    if "itemsToParse" in data:
        items = (f". as $in | ({first_of(data['itemsToParse'])} | {ARRAY_CHECK} | .[]) as $item "
                 f"| ($in + {{item: $item}}) | ")
        entity_obj = items + entity_obj
    return (f"if {first_of(data['filter'])} == true then {{matched: true, entities: [{entity_obj}]}}"
            " else {matched: false} end")
