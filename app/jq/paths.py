"""Reading jq expressions without running them: plain paths, and which input paths an expression reads.

Both answers are conservative: anything outside the small grammar recognised here yields None and the
expression is left entirely to libjq.
"""

import json
import re

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<field>\.[A-Za-z_][A-Za-z0-9_]*)
  | (?P<rec>\.\.)
  | (?P<dot>\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\?//|//=|\|=|\+=|-=|\*=|/=|%=|==|!=|<=|>=|//|[=<>+\-*/%|,()\[\]{}:;?])
""", re.VERBOSE)

# Operators that apply both operands to the same input and read nothing themselves.
PURE_OPERATORS = {"==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "//", ","}
PURE_WORDS = {"and", "or", "true", "false", "null"}
CLOSERS = {"(": ")", "[": "]", "{": "}"}
MAX_INDEX_DIGITS = 9
# Builtins whose output depends on more than the input (time, further inputs, the local zone) or
# that act on the outside (debug output): programs using them are never memoised.
IMPURE_NAMES = {"now", "input", "inputs", "input_line_number", "input_filename", "debug", "stderr",
                "localtime", "strflocaltime", "halt", "halt_error", "get_search_list",
                "get_prog_origin", "get_jq_origin", "$__loc__", "$__prog_args", "input_file"}


def tokenize(expression: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens of a jq expression; None when it uses anything this reader skips."""
    tokens, pos = [], 0
    while pos < len(expression):
        match = TOKEN.match(expression, pos)
        if match is None:
            return None
        pos = match.end()
        kind = match.lastgroup
        if kind == "string" and not is_plain_string(match.group()):
            return None
        if kind != "space":
            tokens.append((kind, match.group()))
    return tokens


def is_plain_string(text: str) -> bool:
    """Whether a jq string literal has no interpolation and reads as JSON."""
    if "\\(" in text:
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def read_path(tokens: list[tuple[str, str]], i: int) -> tuple[tuple[str | int, ...], int] | None:
    """Parse a plain path starting at token i: (steps, index after it), or None."""
    kind, text = tokens[i]
    if kind == "field":
        steps, i = [text[1:]], i + 1
    elif kind == "dot":
        steps, i = [], i + 1
        if i < len(tokens) and tokens[i][0] == "string":
            steps, i = [json.loads(tokens[i][1])], i + 1
    else:
        return None
    while i < len(tokens):
        step = read_step(tokens, i)
        if step is None:
            break
        steps.append(step[0])
        i = step[1]
    return tuple(steps), i


def read_step(tokens: list[tuple[str, str]], i: int) -> tuple[str | int, int] | None:
    """One `.name`, `."name"`, `["name"]`, `[n]` or `[-n]` step at token i: (step, next index)."""
    kind, text = tokens[i]
    if kind == "field":
        return text[1:], i + 1
    if kind == "dot" and i + 1 < len(tokens) and tokens[i + 1][0] == "string":
        return json.loads(tokens[i + 1][1]), i + 2
    start = i + 1 if kind == "dot" else i
    if start < len(tokens) and tokens[start] == ("op", "["):
        return read_bracket(tokens, start + 1)
    return None


def read_bracket(tokens: list[tuple[str, str]], i: int) -> tuple[str | int, int] | None:
    """The key or index inside `[...]` whose first inner token is at i."""
    sign = 1
    if i < len(tokens) and tokens[i] == ("op", "-"):
        sign, i = -1, i + 1
    if i + 1 >= len(tokens) or tokens[i + 1] != ("op", "]"):
        return None
    kind, text = tokens[i]
    if kind == "string" and sign == 1:
        return json.loads(text), i + 2
    if kind == "number" and text.isdigit() and len(text) <= MAX_INDEX_DIGITS:
        return sign * int(text), i + 2
    return None


def parse_plain_path(expression: str) -> tuple[str | int, ...] | None:
    """The steps of a plain path (`.a.b`, `.a[0]`, `.a["x"]`, `.`), or None for anything else."""
    tokens = tokenize(expression)
    if not tokens:
        return None
    parsed = read_path(tokens, 0)
    if parsed is None or parsed[1] != len(tokens):
        return None
    return parsed[0]


def root_paths(expression: str) -> list[tuple[str | int, ...]] | None:
    """Every input path `expression` can read, as plain-path steps; None when that is not certain."""
    tokens = tokenize(expression)
    if not tokens:
        return None
    paths = []
    end = read_root_group(tokens, 0, None, paths)
    return paths if end == len(tokens) else None


def read_root_group(tokens: list[tuple[str, str]], i: int, closer: str | None,
                    paths: list[tuple[str | int, ...]]) -> int | None:
    """Read a group whose input is the document up to its first `|`; the rest sees only what
    that part produced, so it is skipped. Returns the index after the group, or None."""
    expect_term = True
    while i < len(tokens) and tokens[i] != ("op", closer):
        kind, text = tokens[i]
        if not expect_term and text == "|" and kind == "op":
            return skip_group(tokens, i + 1, closer)
        if expect_term:
            i = read_root_term(tokens, i, paths)
        elif (kind == "op" and text in PURE_OPERATORS) or (kind == "ident" and text in ("and", "or")):
            i += 1
        else:
            return None
        if i is None:
            return None
        expect_term = not expect_term
    if expect_term or (closer is not None and i >= len(tokens)):
        return None
    return i + 1 if closer is not None else i


def read_root_term(tokens: list[tuple[str, str]], i: int, paths: list[tuple[str | int, ...]]) -> int | None:
    """One operand in document context: a plain path, a literal, `[]` or a bracketed group."""
    kind, text = tokens[i]
    if kind in ("field", "dot"):
        parsed = read_path(tokens, i)
        if parsed is None:
            return None
        paths.append(parsed[0])
        return parsed[1]
    if kind in ("string", "number") or (kind == "ident" and text in PURE_WORDS - {"and", "or"}):
        return i + 1
    if kind == "op" and text == "-":
        return read_root_term(tokens, i + 1, paths) if i + 1 < len(tokens) else None
    if tokens[i:i + 2] == [("op", "["), ("op", "]")]:
        return i + 2
    if kind == "op" and text in ("(", "["):
        return read_root_group(tokens, i + 1, CLOSERS[text], paths)
    return None


def skip_group(tokens: list[tuple[str, str]], i: int, closer: str | None) -> int | None:
    """Index just past the bracket closing the current group (or the end at top level)."""
    depth = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "op" and text in CLOSERS:
            depth += 1
        elif kind == "op" and text in (")", "]", "}"):
            if depth == 0:
                return i + 1 if text == closer else None
            depth -= 1
        i += 1
    return i if closer is None else None


def is_pure(expression: str) -> bool:
    """Whether the expression's output depends on its input alone (so it may be memoised)."""
    tokens = tokenize(expression)
    return tokens is not None and not any(kind in ("ident", "var") and text in IMPURE_NAMES
                                          for kind, text in tokens)
