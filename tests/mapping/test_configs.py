"""Configuration loading: every bad file stops startup with file, mapping and field named."""

import shutil

import pytest

from app.errors import ConfigError
from app.mapping.configs import load_webhook_configs
from tests.support.helpers import ROOT, edit_jira

MAPPINGS = ROOT / "mappings"


def load_error(mappings_dir):
    with pytest.raises(ConfigError) as caught:
        load_webhook_configs(mappings_dir, {"JIRA_WEBHOOK_SECRET": "s"})
    return str(caught.value)


def test_shipped_configuration_loads_and_compiles_one_program_per_mapping():
    configs = load_webhook_configs(MAPPINGS, {"JIRA_WEBHOOK_SECRET": "s"})
    jira = configs["jira"]
    assert [m.operation for m in jira.mappings] == ["upsert", "upsert", "delete"]
    assert all(m.program is not None for m in jira.mappings)
    assert jira.security["secret"] == "s"


def test_env_references_are_substituted(mappings_dir):
    configs = load_webhook_configs(mappings_dir, {"JIRA_WEBHOOK_SECRET": "from-env"})
    assert configs["jira"].security["secret"] == "from-env"
    assert load_webhook_configs(mappings_dir, {})["jira"].security["secret"] == ""


def test_env_references_are_substituted_in_security_values_only(mappings_dir):
    edit_jira(mappings_dir, lambda d: d.update(title="${JIRA_WEBHOOK_SECRET}",
                                               description="${JIRA_WEBHOOK_SECRET}"))
    jira = load_webhook_configs(mappings_dir, {"JIRA_WEBHOOK_SECRET": "from-env"})["jira"]
    assert jira.security["secret"] == "from-env"
    assert (jira.title, jira.description) == ("${JIRA_WEBHOOK_SECRET}", "${JIRA_WEBHOOK_SECRET}")


@pytest.mark.parametrize("edit, where, field", [
    (lambda d: d["mappings"][0]["entity"].update(title='"${JIRA_WEBHOOK_SECRET}"'),
     "mapping 0", "entity.title"),
    (lambda d: d["mappings"][1].update(filter='.body.x == "${PORT_CLIENT_SECRET}"'),
     "mapping 1", "filter"),
    (lambda d: d["mappings"][0]["entity"]["properties"].update(summary="'${DATABASE_URL}'"),
     "mapping 0", "entity.properties.summary"),
    (lambda d: d["security"].update(requestIdentifierPath='"${CATALOG_API_TOKEN}"'),
     "security", "requestIdentifierPath"),
])
def test_a_reference_in_a_jq_expression_stops_startup_naming_file_mapping_and_field(
        mappings_dir, edit, where, field):
    edit_jira(mappings_dir, edit)
    with pytest.raises(ConfigError) as caught:
        load_webhook_configs(mappings_dir, {"JIRA_WEBHOOK_SECRET": "s", "PORT_CLIENT_SECRET": "p",
                                            "DATABASE_URL": "d", "CATALOG_API_TOKEN": "t"})
    message = str(caught.value)
    assert "jira.yaml" in message and where in message and f"field {field}:" in message
    assert "security values only" in message


def test_the_characters_of_a_reference_are_written_with_an_escape(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"].update(
        title='"\\u0024{JIRA_WEBHOOK_SECRET}"'))
    jira = load_webhook_configs(mappings_dir, {"JIRA_WEBHOOK_SECRET": "s"})["jira"]
    assert jira.mappings[0].field_programs["entity.title"].first_of_value({}) == \
        "${JIRA_WEBHOOK_SECRET}"


def test_jq_that_does_not_compile_names_file_mapping_and_field(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"]["properties"].update(
        status=".body.issue.fields.status.name |"))
    message = load_error(mappings_dir)
    assert "jira.yaml" in message and "mapping 0" in message
    assert "entity.properties.status" in message and "does not compile" in message


def test_unknown_field_is_refused(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][0].update(blueprnt="x"))
    message = load_error(mappings_dir)
    assert "jira.yaml" in message and "mappings.0.blueprnt" in message


def test_missing_blueprint_is_refused(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][1].update(blueprint="jiraTicket"))
    message = load_error(mappings_dir)
    assert "mapping 1" in message and "jiraTicket" in message


def test_property_not_in_blueprint_is_refused(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][0]["entity"]["properties"].update(
        velocity=".body.issue.fields.customfield_10016"))
    assert "entity.properties.velocity" in load_error(mappings_dir)


def test_bad_operation_is_refused(mappings_dir):
    edit_jira(mappings_dir, lambda d: d["mappings"][1].update(operation="remove"))
    assert "operation" in load_error(mappings_dir)


def test_duplicate_identifier_is_refused(mappings_dir):
    shutil.copy(mappings_dir / "jira.yaml", mappings_dir / "jira-copy.yaml")
    assert "already used" in load_error(mappings_dir)


def test_invalid_yaml_is_refused(mappings_dir):
    (mappings_dir / "broken.yaml").write_text("identifier: [unclosed\n")
    assert "broken.yaml" in load_error(mappings_dir)
