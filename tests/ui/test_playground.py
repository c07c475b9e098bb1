"""The playground's domain: evaluate without storing, hide secrets, save only what validates."""

import json
from pathlib import Path

import pytest
import yaml

from app import create_app
from app.errors import BadRequest
from app.runtime import runtime_of
from app.ui import playground
from app.ui.playground import HIDDEN, PlaygroundError
from tests.support.helpers import SECRET, seed_payload
from tests.support.ui_helpers import copy_mappings

SEED_INPUT = '{"body": %s, "headers": {}, "queryParams": {}}'


@pytest.fixture
def runtime(sqlite_url, tmp_path):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "MAPPINGS_DIR": copy_mappings(tmp_path)})
    yield runtime_of(app)
    runtime_of(app).store.close()


def shipped_text(runtime):
    return Path(runtime.configs["jira"].source).read_text()


def seed_input():
    return SEED_INPUT % json.dumps(seed_payload())


def test_evaluate_translates_like_the_webhook_path(runtime):
    translation = playground.evaluate(runtime, shipped_text(runtime), seed_input())
    assert translation.failure is None
    [change] = translation.changes
    assert (change.identifier, change.entity["properties"]["status"]) == ("PI-1", "To Do")


def test_evaluate_names_the_expression_that_does_not_compile(runtime):
    broken = shipped_text(runtime).replace("status: .body.issue.fields.status.name",
                                           "status: .body.issue.fields.status.name |")
    with pytest.raises(PlaygroundError) as error:
        playground.evaluate(runtime, broken, seed_input())
    assert "field entity.properties.status: JQ does not compile" in error.value.message


def test_evaluate_reports_a_runtime_failure_with_its_field(runtime):
    failing = shipped_text(runtime).replace("summary: .body.issue.fields.summary",
                                            "summary: .body.issue.fields.summary | tonumber")
    translation = playground.evaluate(runtime, failing, seed_input())
    assert translation.failure.field == "entity.properties.summary"
    assert translation.failure.reason == "jq_runtime_error"


def test_literal_secrets_are_refused(runtime):
    literal = shipped_text(runtime).replace("${JIRA_WEBHOOK_SECRET}", "hunter2")
    with pytest.raises(PlaygroundError, match="security.secret"):
        playground.evaluate(runtime, literal, seed_input())


def test_a_file_with_a_literal_secret_is_shown_with_it_hidden(runtime):
    path = Path(runtime.configs["jira"].source)
    path.write_text(path.read_text().replace("${JIRA_WEBHOOK_SECRET}", "hunter2"))
    shown = playground.editor_text(runtime.configs["jira"])
    assert "hunter2" not in shown and yaml.safe_load(shown)["security"]["secret"] == HIDDEN
    # Saving the hidden form keeps the file's secret.
    playground.save_configuration(runtime, shown.replace("title: Jira mapper", "title: Renamed"))
    saved = yaml.safe_load(path.read_text())
    assert saved["security"]["secret"] == "hunter2" and saved["title"] == "Renamed"


def test_hidden_without_a_secret_to_keep_is_refused(runtime):
    text = shipped_text(runtime).replace("${JIRA_WEBHOOK_SECRET}", HIDDEN)
    with pytest.raises(PlaygroundError, match="no secret to keep"):
        playground.save_configuration(runtime, text)


def test_save_writes_a_valid_configuration_as_given(runtime):
    text = shipped_text(runtime).replace("title: Jira mapper", "title: Edited # kept comment")
    path = playground.save_configuration(runtime, text)
    assert path == Path(runtime.configs["jira"].source) and path.read_text() == text
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".playground-")]


def test_save_refuses_an_invalid_configuration_and_keeps_the_file(runtime):
    before = shipped_text(runtime)
    broken = before.replace("blueprint: jiraIssue", "blueprint: nope", 1)
    with pytest.raises(PlaygroundError, match="no blueprint 'nope'"):
        playground.save_configuration(runtime, broken)
    assert shipped_text(runtime) == before


def test_a_new_identifier_gets_its_own_file(runtime):
    text = shipped_text(runtime).replace("identifier: jira\n", "identifier: jira-two\n", 1)
    path = playground.save_configuration(runtime, text)
    assert path.name == "jira-two.yaml" and yaml.safe_load(path.read_text())["identifier"] == \
        "jira-two"
    assert yaml.safe_load(shipped_text(runtime))["identifier"] == "jira"


def test_an_identifier_keeps_the_file_that_declares_it(runtime):
    source = Path(runtime.configs["jira"].source)
    moved = source.with_name("issues.yaml")
    source.rename(moved)
    path = playground.save_configuration(runtime, moved.read_text())
    assert path == moved and not source.exists()


def test_save_refuses_to_overwrite_another_identifiers_file(runtime):
    directory = Path(runtime.settings.MAPPINGS_DIR)
    other = shipped_text(runtime).replace("identifier: jira\n", "identifier: other\n", 1)
    (directory / "taken.yaml").write_text(other)
    text = shipped_text(runtime).replace("identifier: jira\n", "identifier: taken\n", 1)
    with pytest.raises(PlaygroundError, match="holds another configuration"):
        playground.save_configuration(runtime, text)
    assert "identifier: other" in (directory / "taken.yaml").read_text()


def test_a_saved_configuration_loads_at_the_next_start(runtime, sqlite_url):
    text = shipped_text(runtime).replace("identifier: jira\n", "identifier: jira-two\n", 1)
    playground.save_configuration(runtime, text)
    restarted = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                            "MAPPINGS_DIR": runtime.settings.MAPPINGS_DIR})
    assert set(runtime_of(restarted).configs) == set(runtime.configs) | {"jira-two"}
    runtime_of(restarted).store.close()


def test_pasted_input_must_be_a_json_object(runtime):
    assert '"queryParams":{}' in playground.pasted_input(runtime, '{"a": 1}')
    with pytest.raises(BadRequest, match="JSON object"):
        playground.pasted_input(runtime, "[1]")
