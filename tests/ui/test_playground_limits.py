"""The playground runs no secret and no runaway: `${NAME}` is refused in JQ, evaluation has a time
and memory limit, and runs beyond PLAYGROUND_CONCURRENCY are refused with 429."""

import threading
import time
from pathlib import Path

import pytest

from app import create_app
from app.runtime import runtime_of
from app.ui import playground
from app.ui.playground import PlaygroundError
from tests.support.helpers import SECRET
from tests.support.ui_helpers import TOKEN, copy_mappings, log_in

LEAK_TITLE = "title: '\"${JIRA_WEBHOOK_SECRET} | ${PORT_CLIENT_SECRET} | ${CATALOG_API_TOKEN}\"'"
SPIN_TITLE = "title: 'def f: f; f'"
GROW_TITLE = "title: '[range(1e9)] | tostring'"


@pytest.fixture
def timeout():
    return "1"


@pytest.fixture
def app(sqlite_url, tmp_path, timeout):
    application = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                              "CATALOG_API_TOKEN": TOKEN, "PORT_CLIENT_SECRET": "port-secret-9",
                              "MAPPINGS_DIR": copy_mappings(tmp_path), "JQ_TIMEOUT_SECONDS": timeout,
                              "JQ_MEMORY_MB": "64", "PLAYGROUND_CONCURRENCY": "1"})
    yield application
    runtime_of(application).close()


def edited(app, title_line):
    text = Path(runtime_of(app).configs["jira"].source).read_text()
    return text.replace("title: .body.issue.key + \" - \" + .body.issue.fields.summary", title_line)


def run_form(client, csrf, config_text):
    return client.post("/playground", data={
        "csrf_token": csrf, "config_text": config_text, "action": "run", "source": "paste",
        "payload": '{"webhookEvent": "jira:issue_created", "issue": {"key": "PI-1"}}'})


def test_a_reference_in_jq_is_refused_and_no_secret_is_rendered(app):
    client = app.test_client()
    answer = run_form(client, log_in(client), edited(app, LEAK_TITLE))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "field entity.title:" in page and "security values only" in page
    assert SECRET not in page and "port-secret-9" not in page and TOKEN not in page


def test_evaluate_substitutes_nothing_even_where_a_file_would(app):
    with pytest.raises(PlaygroundError) as caught:
        playground.evaluate(runtime_of(app), edited(app, LEAK_TITLE), '{"body": {}}')
    assert "mapping 0" in caught.value.message and "entity.title" in caught.value.message


# The growing case gets a time limit it cannot reach first on a busy machine, so the memory limit decides.
@pytest.mark.parametrize("title, reason, setting, timeout", [
    (SPIN_TITLE, "jq_timeout", "JQ_TIMEOUT_SECONDS", "1"),
    (GROW_TITLE, "jq_memory", "JQ_MEMORY_MB", "10"),
])
def test_a_runaway_expression_reports_the_limit_it_hit(app, title, reason, setting, timeout):
    client = app.test_client()
    started = time.monotonic()
    page = run_form(client, log_in(client), edited(app, title)).get_data(as_text=True)
    assert time.monotonic() - started < 15
    assert "This event would fail" in page and reason in page and setting in page


@pytest.mark.parametrize("timeout", ["4"])  # the runaway holds the one process longer than a run waits
def test_a_run_beyond_the_concurrency_cap_is_refused_with_429(app):
    runaway_client, client = app.test_client(), app.test_client()
    runaway_csrf, csrf = log_in(runaway_client), log_in(client)
    runaway = threading.Thread(target=run_form,
                               args=(runaway_client, runaway_csrf, edited(app, SPIN_TITLE)))
    runaway.start()
    time.sleep(0.3)
    try:
        answer = run_form(client, csrf, edited(app, "title: .body.issue.key"))
        page = answer.get_data(as_text=True)
        assert answer.status_code == 429
        assert 'data-reason="playground_busy"' in page and "PLAYGROUND_CONCURRENCY" in page
    finally:
        runaway.join()
    assert run_form(client, csrf, edited(app, "title: .body.issue.key")).status_code == 200



def test_save_checks_security_as_startup_would_without_reading_the_environment(app):
    text = Path(runtime_of(app).configs["jira"].source).read_text()
    headerless = text.replace("  signatureHeaderName: X-Hub-Signature\n", "")
    with pytest.raises(PlaygroundError) as caught:
        playground.save_configuration(runtime_of(app), headerless)
    assert "signatureHeaderName" in caught.value.message and SECRET not in caught.value.message
