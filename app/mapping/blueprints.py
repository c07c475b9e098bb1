"""Blueprints (Port's entity types): loading, and checking an entity against one."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from ..errors import ConfigError
from .calculations import compile_calculations

# Port's identifier rule: letters of any script, digits and @_.+:\/=- ; not "." or "..".
IDENTIFIER_CHARS = re.compile(r"^[\w@.+:\\/=-]+$")
# Neither part holds `@` or whitespace; read without backtracking, so a crafted value costs linear time.
EMAIL_PARTS = re.compile(r"([^@\s]+)@([^@\s]+)")
URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/?#]+\S*$")
JSON_TYPES = {"string": (str,), "number": (int, float), "boolean": (bool,),
              "object": (dict,), "array": (list,)}


@dataclass(frozen=True)
class Blueprint:
    """A blueprint as Port defines it; `definition` is the file's JSON, served by the read API."""

    identifier: str
    definition: dict
    properties: dict = field(default_factory=dict)
    required: tuple = ()
    relations: dict = field(default_factory=dict)
    calculations: object = field(default=None, repr=False)


class EntityInvalid(ValueError):
    """An entity that its blueprint rejects; `field` names the offending part."""

    def __init__(self, message: str, field_name: str):
        super().__init__(message)
        self.field = field_name


def load_blueprints(directory: str | Path) -> dict[str, Blueprint]:
    """Every blueprint file (`*.json`, `*.yaml`, `*.yml`) in `directory`, by identifier."""
    blueprints = {}
    for path in sorted(Path(directory).glob("*")):
        if path.suffix not in {".json", ".yaml", ".yml"}:
            continue
        blueprint = parse_blueprint(path)
        if blueprint.identifier in blueprints:
            raise ConfigError(f"{path}: blueprint {blueprint.identifier!r} is defined twice")
        blueprints[blueprint.identifier] = blueprint
    check_relation_targets(blueprints, directory)
    return blueprints


def check_relation_targets(blueprints: dict[str, Blueprint], directory: str | Path) -> None:
    """Every relation must target a blueprint that exists."""
    for blueprint in blueprints.values():
        for name, spec in blueprint.relations.items():
            target = spec.get("target") if isinstance(spec, dict) else None
            if target not in blueprints:
                raise ConfigError(f"{directory}: blueprint {blueprint.identifier!r}, relation "
                                  f"{name!r}: target {target!r} is not a blueprint")


def parse_blueprint(path: Path) -> Blueprint:
    """Read one blueprint file, checking the parts the catalog relies on."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON/YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("identifier"), str):
        raise ConfigError(f"{path}: a blueprint needs a string 'identifier'")
    schema = data.get("schema") or {}
    properties = schema.get("properties") or {}
    for name, spec in properties.items():
        if spec.get("type", "string") not in JSON_TYPES:
            raise ConfigError(f"{path}: property {name!r}: unknown type {spec.get('type')!r}")
    return Blueprint(identifier=data["identifier"], definition=data, properties=properties,
                     required=tuple(schema.get("required") or ()),
                     relations=data.get("relations") or {},
                     calculations=compile_calculations(path, data))


def check_identifier(value: object, field_name: str = "identifier") -> None:
    """Port's identifier rule: a non-empty string of allowed characters, at most 1000 long."""
    if not isinstance(value, str) or not value:
        raise EntityInvalid(f"{field_name} must be a non-empty string, got {value!r}", field_name)
    if len(value) > 1000 or value in {".", ".."} or not IDENTIFIER_CHARS.match(value):
        raise EntityInvalid(f"{field_name} {value!r} breaks Port's identifier rule", field_name)


def check_entity(blueprint: Blueprint, entity: dict) -> None:
    """Raise EntityInvalid when `entity` does not satisfy `blueprint`'s schema."""
    check_identifier(entity["identifier"])
    properties = entity.get("properties") or {}
    for name in blueprint.required:
        if properties.get(name) is None:
            raise EntityInvalid(f"required property {name!r} is missing", f"properties.{name}")
    for name, value in properties.items():
        spec = blueprint.properties.get(name)
        if spec is None:
            raise EntityInvalid(f"property {name!r} is not in blueprint {blueprint.identifier!r}",
                                f"properties.{name}")
        problem = None if value is None else value_problem(spec, value)
        if problem:
            raise EntityInvalid(f"properties.{name} {problem}", f"properties.{name}")
    for name, value in (entity.get("relations") or {}).items():
        check_relation(blueprint, name, value)


def value_problem(spec: dict, value: object) -> str | None:
    """What is wrong with a property value's type, format or enum, or None."""
    kind = spec.get("type", "string")
    if isinstance(value, bool) and kind == "number" or not isinstance(value, JSON_TYPES[kind]):
        return f"must be of type {kind}, got {type_name(value)}"
    if "enum" in spec and value not in spec["enum"]:
        return f"must be one of {spec['enum']}, got {value!r}"
    if kind == "string" and "format" in spec and not matches_format(spec["format"], value):
        return f"is not a valid {spec['format']}: {value!r}"
    return None


def is_email(value: str) -> bool:
    """`local@domain` where the domain has a dot with something on either side."""
    parts = EMAIL_PARTS.fullmatch(value)
    return parts is not None and "." in parts.group(2)[1:-1]


def matches_format(fmt: str, value: str) -> bool:
    """Whether a string has the blueprint's `format` (url, date-time, email; others pass)."""
    if fmt == "url":
        return URL.match(value) is not None
    if fmt == "email":
        return is_email(value)
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return "T" in value or " " in value
    return True


def check_relation(blueprint: Blueprint, name: str, value: object) -> None:
    """A relation names a target identifier (or a list of them when `many`)."""
    where = f"relations.{name}"
    spec = blueprint.relations.get(name)
    if spec is None:
        raise EntityInvalid(f"relation {name!r} is not in blueprint {blueprint.identifier!r}", where)
    if value is None:
        return
    targets = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not spec.get("many", False):
        raise EntityInvalid(f"{where} takes one identifier, got a list", where)
    for target in targets:
        check_identifier(target, where)


def type_name(value: object) -> str:
    """JSON's name for a Python value's type."""
    names = {bool: "boolean", int: "number", float: "number", str: "string",
             dict: "object", list: "array", type(None): "null"}
    return names.get(type(value), type(value).__name__)
