"""Jira's custom fields found by name: the ids of the Sprint and Story Points fields differ between
instances (``customfield_10020`` on one, another number on the next), so they are read from Jira's field
list (``GET /rest/api/2/field``) rather than asked of the user."""

from __future__ import annotations

from .client import JiraClient

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
STORY_POINTS_SCHEMA = "com.pyxis.greenhopper.jira:jsw-story-points"
# Company-managed projects estimate in "Story Points", team-managed ones in "Story point estimate";
# an instance with both has two ids, and the mapping reads the first that holds a number.
STORY_POINTS_NAMES = ("story points", "story point estimate")


def is_sprint_field(field: dict) -> bool:
    """Jira Software's Sprint field, by its type, else by its name."""
    schema = field.get("schema") or {}
    return schema.get("custom") == SPRINT_SCHEMA or (
        bool(field.get("custom")) and str(field.get("name", "")).strip().lower() == "sprint")


def is_story_points_field(field: dict) -> bool:
    """A number field named as Jira names story point estimates."""
    schema = field.get("schema") or {}
    if schema.get("custom") == STORY_POINTS_SCHEMA:
        return True
    names = {str(field.get(key, "")).strip().lower() for key in ("name", "untranslatedName")}
    return schema.get("type") == "number" and bool(names & set(STORY_POINTS_NAMES))


def identify_fields(fields: list[dict]) -> dict[str, list[str]]:
    """{"sprint": [ids], "storyPoints": [ids]} of a field list, ids in Jira's order; a role no field
    plays is left out."""
    found = {"sprint": [f["id"] for f in fields if isinstance(f, dict) and "id" in f and is_sprint_field(f)],
             "storyPoints": [f["id"] for f in fields if isinstance(f, dict) and "id" in f
                             and is_story_points_field(f)]}
    return {role: ids for role, ids in found.items() if ids}


def fetch_field_ids(jira: JiraClient) -> dict[str, list[str]]:
    """The field ids of this Jira, from its field list."""
    return identify_fields(jira.call("GET", "/rest/api/2/field") or [])
