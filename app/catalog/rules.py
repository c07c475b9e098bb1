"""Port's search query language: a `{combinator, rules}` document read into a typed, bounded tree.

Each rule is a comparison (`property`, `operator`, `value`), a `relatedTo` rule (`blueprint`,
`value`, `direction`, `required`) or a nested `{combinator, rules}`. Date presets of `between` and
`notBetween` are resolved against the `now` given here, so every evaluation of one tree agrees.
A query that cannot be read raises BadRequest `invalid_query` naming the rule's path
(`rules[2].rules[0].value`) and what is wrong.
"""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import BadRequest
from ..mapping.blueprints import Blueprint

MAX_DEPTH = 8
MAX_RULES = 200
MAX_VALUES = 1000
MAX_TEXT = 1000

# Port's property identifiers; also what keeps a name safe inside a JSON path.
PROPERTY_NAME = re.compile(r"^[A-Za-z0-9@_=-]{1,100}$")
TEXT_META = ("$identifier", "$title", "$blueprint")
TIME_META = ("$createdAt", "$updatedAt")
JSON_META = ("$team",)

EQUALITY = ("=", "!=")
ORDER = (">", ">=", "<", "<=")
RANGE = ("between", "notBetween")
PRESENCE = ("isEmpty", "isNotEmpty")
TEXT = ("contains", "doesNotContains", "beginsWith", "doesNotBeginsWith", "endsWith",
        "doesNotEndsWith")
MEMBERSHIP = ("in", "notIn", "containsAny")
OPERATORS = EQUALITY + ORDER + RANGE + PRESENCE + TEXT + MEMBERSHIP
TIME_OPERATORS = EQUALITY + ORDER + RANGE + PRESENCE
DIRECTIONS = ("upstream", "downstream")

DAY = timedelta(days=1)
# Each preset as (days back from now, days ahead of now); today/tomorrow/yesterday are calendar days.
PRESET_DAYS = {"last3Years": (3 * 365, 0), "last2Years": (2 * 365, 0), "last12Months": (365, 0),
               "last6Months": (180, 0), "last3Months": (90, 0), "lastMonth": (30, 0),
               "last2Weeks": (14, 0), "lastWeek": (7, 0), "lastDay": (1, 0),
               "nextDay": (0, 1), "nextWeek": (0, 7), "next2Weeks": (0, 14), "nextMonth": (0, 30),
               "next3Months": (0, 90), "next6Months": (0, 180), "next12Months": (0, 365)}
CALENDAR_PRESETS = {"yesterday": -1, "today": 0, "tomorrow": 1}
PRESETS = tuple(PRESET_DAYS) + tuple(CALENDAR_PRESETS)


@dataclass(frozen=True)
class Comparison:
    """`property` `operator` `value`; `value` is a datetime for the time meta-properties and a
    (from, to) pair for the range operators."""

    property: str
    operator: str
    value: object = None
    # A `{"relation": name, ...}` rule: `property` names a relation, compared as the identifier
    # (or identifiers) it holds.
    relation: bool = False


@dataclass(frozen=True)
class RelatedTo:
    """Entities related to `identifiers` of `blueprint`: upstream (what they depend on),
    downstream (what depends on them) or either when `direction` is None; `required` None takes
    every relation, otherwise only relations whose `required` equals it."""

    blueprint: str
    identifiers: tuple[str, ...]
    direction: str | None = None
    required: bool | None = None


@dataclass(frozen=True)
class Group:
    combinator: str
    rules: tuple


Rule = Comparison | RelatedTo | Group


def parse_query(data: object, blueprints: dict[str, Blueprint], now: datetime | None = None) -> Group:
    """The typed tree of a query document; BadRequest `invalid_query` when it is not one."""
    counter = [0]
    return parse_group(data, "query", 1, counter, blueprints, now or datetime.now(UTC))


def invalid(path: str, problem: str) -> BadRequest:
    return BadRequest(f"{path}: {problem}", "invalid_query")


def parse_group(data: object, path: str, depth: int, counter: list[int],
                blueprints: dict[str, Blueprint], now: datetime) -> Group:
    if depth > MAX_DEPTH:
        raise invalid(path, f"rules nest deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict):
        raise invalid(path, "must be an object {combinator, rules}")
    check_keys(data, {"combinator", "rules"}, path)
    combinator = data.get("combinator")
    if combinator not in ("and", "or"):
        raise invalid(f"{path}.combinator", "must be 'and' or 'or'")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise invalid(f"{path}.rules", "must be an array of rules")
    parsed = []
    for index, rule in enumerate(rules):
        counter[0] += 1
        if counter[0] > MAX_RULES:
            raise invalid(path, f"more than {MAX_RULES} rules in one query")
        parsed.append(parse_rule(rule, f"{path}.rules[{index}]", depth, counter, blueprints, now))
    return Group(combinator, tuple(parsed))


def parse_rule(data: object, path: str, depth: int, counter: list[int],
               blueprints: dict[str, Blueprint], now: datetime) -> Rule:
    if isinstance(data, dict) and "combinator" in data:
        return parse_group(data, path, depth + 1, counter, blueprints, now)
    if not isinstance(data, dict):
        raise invalid(path, "a rule must be an object")
    if data.get("operator") == "relatedTo":
        return parse_related(data, path, blueprints)
    return parse_comparison(data, path, now)


def check_keys(data: dict, allowed: set[str], path: str) -> None:
    unknown = sorted(str(k)[:64] for k in data if k not in allowed)
    if unknown:
        raise invalid(path, f"unknown field {unknown[0]!r}; a rule here takes {', '.join(sorted(allowed))}")


def parse_related(data: dict, path: str, blueprints: dict[str, Blueprint]) -> RelatedTo:
    check_keys(data, {"operator", "blueprint", "value", "direction", "required"}, path)
    blueprint = data.get("blueprint")
    if blueprint not in blueprints:
        known = ", ".join(sorted(blueprints))
        raise invalid(f"{path}.blueprint", f"{str(blueprint)[:64]!r} is not a blueprint; known: {known}")
    value = data.get("value")
    identifiers = value if isinstance(value, list) else [value]
    check_strings(identifiers, f"{path}.value", "an identifier or an array of identifiers")
    direction = data.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise invalid(f"{path}.direction", "must be 'upstream' or 'downstream'")
    required = data.get("required")
    if required is not None and not isinstance(required, bool):
        raise invalid(f"{path}.required", "must be true or false")
    return RelatedTo(blueprint, tuple(identifiers), direction, required)


def parse_comparison(data: dict, path: str, now: datetime) -> Comparison:
    relation = "relation" in data
    check_keys(data, {"operator", "relation" if relation else "property", "value"}, path)
    operator = data.get("operator")
    if operator not in OPERATORS:
        raise invalid(f"{path}.operator", f"{str(operator)[:64]!r} is not an operator; use one of "
                      f"{', '.join(OPERATORS)} or relatedTo")
    name = data.get("relation" if relation else "property")
    if relation and not (isinstance(name, str) and PROPERTY_NAME.match(name)):
        raise invalid(f"{path}.relation", "must be a relation identifier (letters, digits, @_=-)")
    if not relation:
        check_property(name, operator, f"{path}.property")
    value = parse_value(data, name, operator, f"{path}.value", now)
    return Comparison(name, operator, value, relation)


def check_property(name: object, operator: str, path: str) -> None:
    if not isinstance(name, str):
        raise invalid(path, "must be a property name or a meta-property ($identifier ...)")
    if name.startswith("$"):
        if name not in TEXT_META + TIME_META + JSON_META:
            raise invalid(path, f"{name[:64]!r} is not a meta-property; use one of "
                          f"{', '.join(TEXT_META + TIME_META + JSON_META)}")
        if name in TIME_META and operator not in TIME_OPERATORS:
            raise invalid(path, f"{name} is a datetime; {operator} does not apply to it")
    elif not PROPERTY_NAME.match(name):
        raise invalid(path, f"{name[:64]!r} is not a property identifier (letters, digits, @_=-)")


def parse_value(data: dict, name: str, operator: str, path: str, now: datetime) -> object:
    value = data.get("value")
    if operator in PRESENCE:
        return None
    if "value" not in data:
        raise invalid(path, f"{operator} needs a value")
    if operator in RANGE:
        return parse_range(value, path, now)
    if operator in MEMBERSHIP:
        check_strings(value if isinstance(value, list) else None, path, "an array of strings")
        return tuple(value)
    if operator in TEXT:
        check_strings([value], path, "a string")
        return value
    if name in TIME_META:
        return parse_time(value, path)
    return check_scalar(value, operator, path)


def check_scalar(value: object, operator: str, path: str) -> object:
    if operator in ORDER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise invalid(path, f"{operator} compares with a number or a string")
    elif not isinstance(value, bool | int | float | str):
        raise invalid(path, f"{operator} compares with a string, number or boolean (isEmpty finds null)")
    if isinstance(value, str):
        check_strings([value], path, "a string")
    if isinstance(value, float) and not math.isfinite(value):
        raise invalid(path, "must be a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise invalid(path, "must fit in 64 bits")
    return value


def check_strings(values: object, path: str, expected: str) -> None:
    if not isinstance(values, list) or len(values) > MAX_VALUES:
        raise invalid(path, f"must be {expected} (at most {MAX_VALUES})")
    for value in values:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise invalid(path, f"must be {expected} of at most {MAX_TEXT} characters")
        if "\x00" in value:
            raise invalid(path, "holds a NUL character, which the catalog never stores")


def parse_time(value: object, path: str) -> datetime:
    """An ISO 8601 datetime (a `Z` or an offset; none means UTC) as an aware UTC datetime."""
    if not isinstance(value, str) or len(value) > 64:
        raise invalid(path, "must be an ISO 8601 datetime such as 2024-07-26T16:38:06.839Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(path, f"{value!r} is not an ISO 8601 datetime") from None
    return to_millisecond(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def to_millisecond(moment: datetime) -> datetime:
    """`moment` in UTC cut to whole milliseconds: the precision the API shows datetimes with."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_range(value: object, path: str, now: datetime) -> tuple[datetime, datetime]:
    """`{from, to}` (inclusive) or `{preset}` as a pair of aware UTC datetimes."""
    if isinstance(value, dict) and set(value) == {"preset"}:
        return preset_range(value["preset"], path, now)
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        raise invalid(path, "must be {\"from\": ISO datetime, \"to\": ISO datetime} or {\"preset\": ...}")
    return parse_time(value["from"], f"{path}.from"), parse_time(value["to"], f"{path}.to")


def preset_range(preset: object, path: str, now: datetime) -> tuple[datetime, datetime]:
    if preset in CALENDAR_PRESETS:
        start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start += CALENDAR_PRESETS[preset] * DAY
        return start, start + DAY - timedelta(milliseconds=1)
    if preset in PRESET_DAYS:
        back, ahead = PRESET_DAYS[preset]
        return to_millisecond(now - back * DAY), to_millisecond(now + ahead * DAY)
    raise invalid(f"{path}.preset", f"{str(preset)[:64]!r} is not a preset; use one of {', '.join(PRESETS)}")


def time_text(moment: datetime) -> str:
    """How a datetime bound compares with a datetime property stored as ISO 8601 UTC text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
