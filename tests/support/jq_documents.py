"""Generated JSON documents and jq paths, and libjq itself, for the tests that compare with it."""

import json
from functools import lru_cache

import jq
from hypothesis import strategies as st

KEYS = ["a", "b", "key", "x y", 'q"t', "end"]
compile_jq = lru_cache(maxsize=None)(jq.compile)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                max_size=4),
    max_leaves=12)
documents = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5)
steps = st.lists(st.sampled_from(KEYS) | st.integers(-3, 3), max_size=4)


def render(path, style):
    """A path in one of jq's spellings."""
    out = ""
    for i, step in enumerate(path):
        if isinstance(step, int):
            out += f"[{step}]" if i else f".[{step}]"
        elif step.isidentifier() and style == 0:
            out += f".{step}"
        elif style == 1:
            out += f".{json.dumps(step)}"
        else:
            out += f'{"" if i else "."}[{json.dumps(step)}]'
    return out or "."


def same(a, b):
    """Equal with the same types all the way down (1 is not 1.0, True is not 1)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and type(a) is type(b)
