"""The sandbox: libjq in child processes with an empty environment, memory and time limits, and the
same results as libjq in the server process."""

import json
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.jq.dialect import Program, compile_program
from app.jq.sandbox import JqLimitError, Limits, Pool
from tests.support.jq_documents import compile_jq, documents, json_values, same

EXPRESSIONS = [".", ".a", ".[]?", "keys?", "tostring", "length", ".a + .b", "[.[]?] | add",
               "tojson | fromjson", "to_entries?", "error", ".a | tonumber", "empty", "1 / 0",
               "[paths]", "[.. | numbers]", "map_values(. * 2)?"]


@pytest.fixture
def pool():
    """A pool of one child with a one-second limit."""
    started = Pool(Limits(timeout=1.0, memory_mb=256, workers=1, wait=5.0), "busy (JQ_WORKERS)")
    yield started
    started.close()


def call(pool, program, document=None):
    """The child's answer to one call of `program` over `document`."""
    return pool.run([[program, json.dumps(document)]])[0]


def libjq_first(expression, document):
    try:
        return "ok", compile_jq(expression).input_text(json.dumps(document)).first()
    except StopIteration:
        return "empty", None
    except ValueError as exc:
        return "error", str(exc)


def sandboxed_first(expression, document):
    try:
        return "ok", Program(expression).first_of_value(document)
    except StopIteration:
        return "empty", None
    except ValueError as exc:
        return "error", str(exc)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXPRESSIONS), documents | json_values)
def test_results_and_errors_are_libjq_s_own(expression, document):
    expected, got = libjq_first(expression, document), sandboxed_first(expression, document)
    assert expected[0] == got[0] and same(expected[1], got[1])


def test_a_runaway_program_times_out_and_its_child_is_replaced(pool):
    started = time.monotonic()
    with pytest.raises(JqLimitError) as caught:
        call(pool, "def f: f; f")
    assert caught.value.reason == "jq_timeout" and "JQ_TIMEOUT_SECONDS" in caught.value.message
    assert time.monotonic() - started < 10
    assert call(pool, ".a + 1", {"a": 1}) == [0, 2]


def test_a_program_growing_without_bound_hits_the_memory_limit():
    small = Pool(Limits(timeout=20.0, memory_mb=96, workers=1, wait=5.0), "busy")
    try:
        with pytest.raises(JqLimitError) as caught:
            call(small, "[range(1e9)]")
        assert caught.value.reason == "jq_memory" and "96 MiB" in caught.value.message
        assert "JQ_MEMORY_MB" in caught.value.message
        assert call(small, "[range(3)]") == [0, [0, 1, 2]]
    finally:
        small.close()


def test_children_do_not_see_the_server_environment(pool, monkeypatch):
    monkeypatch.setenv("PORT_CLIENT_SECRET", "port-secret-value")
    status, environment = call(pool, "env")
    assert status == 0 and set(environment) <= {"PYTHONPATH", "LC_CTYPE"}  # Python sets LC_CTYPE itself
    assert "port-secret-value" not in json.dumps(environment)


def test_a_call_finding_every_child_busy_is_refused_after_the_wait():
    busy = Pool(Limits(timeout=3.0, memory_mb=256, workers=1, wait=0.2), "busy (JQ_WORKERS)")
    runaway = threading.Thread(target=lambda: pytest.raises(JqLimitError, call, busy, "def f: f; f"))
    runaway.start()
    time.sleep(0.5)
    try:
        with pytest.raises(JqLimitError) as caught:
            call(busy, ".")
        assert caught.value.reason == "jq_busy" and "JQ_WORKERS" in caught.value.message
    finally:
        runaway.join()
        busy.close()


def test_a_batch_answers_each_call_in_order(pool):
    answers = pool.run([[".a", '{"a": 1}'], ["error", '"no"'], ["empty", "null"]])
    assert answers == [[0, 1], [1, "no"], [2]]


def test_compiled_programs_keep_the_env_sandbox():
    assert compile_program("env").first_of_value(None) == {}
