"""The nesting check that runs before a body is parsed: for any JSON text, deeper than the limit
exactly when its values nest deeper, brackets inside strings (escaped quotes, backslashes, any
character) never counted."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.events import json_depth_exceeds

strings = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('{}[]"\\'), max_size=8)
values = st.recursive(st.none() | st.integers() | strings, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(strings, inner, max_size=3), max_leaves=30)


def depth(value) -> int:
    """How deep arrays and objects nest in ``value``."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=400, deadline=None)
@given(value=values, limit=st.integers(0, 8), ascii_only=st.booleans())
def test_nesting_counts_the_structure_and_never_the_strings(value, limit, ascii_only):
    raw = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert json_depth_exceeds(raw, limit) == (depth(value) > limit)


def test_an_unterminated_string_hides_the_brackets_after_it():
    assert not json_depth_exceeds(b'["' + b"[" * 10, 2)
    assert json_depth_exceeds(b'["\\"", ' + b"[" * 3, 2)
