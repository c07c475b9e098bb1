"""Finding the Sprint and Story Points fields in Jira's field list by name and type."""

from app.jira.fields import identify_fields
from tests.support.fake_jira import FIELD_LIST

# As Data Center answers GET /rest/api/2/field: the Sprint field by type, Story Points as a plain number
# field, and a look-alike that is not a number.
SERVER_FIELDS = [
    {"id": "customfield_10104", "name": "Sprint", "custom": True,
     "schema": {"type": "array", "items": "string", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}},
    {"id": "customfield_10106", "name": "Story Points", "custom": True,
     "schema": {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"}},
    {"id": "customfield_10300", "name": "Story Points (notes)", "custom": True, "schema": {"type": "string"}},
    {"id": "customfield_10301", "name": "story points", "custom": True, "schema": {"type": "string"}},
]


def test_cloud_fields_by_type_and_both_story_point_names():
    assert identify_fields(FIELD_LIST) == {"sprint": ["customfield_10020"],
                                           "storyPoints": ["customfield_10016", "customfield_10028"]}


def test_server_fields_skip_look_alikes_that_are_not_numbers():
    assert identify_fields(SERVER_FIELDS) == {"sprint": ["customfield_10104"], "storyPoints": ["customfield_10106"]}


def test_a_sprint_field_renamed_is_still_found_by_its_type_and_a_custom_field_named_sprint_by_name():
    renamed = [{**SERVER_FIELDS[0], "name": "Iteration"}, {"id": "customfield_2", "name": "Sprint", "custom": True}]
    assert identify_fields(renamed) == {"sprint": ["customfield_10104", "customfield_2"]}


def test_a_system_field_named_sprint_and_junk_entries_are_ignored():
    listed = [{"id": "sprint", "name": "Sprint", "custom": False}, "junk", {"name": "Story Points"}, None]
    assert identify_fields(listed) == {}
