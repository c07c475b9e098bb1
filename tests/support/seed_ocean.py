"""The seed's Ocean examples (tests/fixtures/seed-ocean): its REST objects as Jira returns them, the
webhook-shaped events carrying them, and the entities the seed says they give."""

import copy
import json
from pathlib import Path

SEED_OCEAN = Path(__file__).parents[1] / "fixtures" / "seed-ocean"
# What the seed's example responses lack but its entities show: the project's issue count (fetched
# with expand=insight) and the team's members (fetched with includeMembers), added as Jira would.
SEED_INSIGHT = {"totalIssueCount": 100, "lastIssueUpdateTime": "2023-11-06T11:03:18.244+0000"}
SEED_TEAM_MEMBERS = {"T-PA": [{"accountId": "U-PA"}, {"accountId": "U-PA-2"}]}


def seed_ocean(name):
    """A file of tests/fixtures/seed-ocean: the seed's Ocean example responses and entities."""
    return json.loads((SEED_OCEAN / name).read_text(encoding="utf-8"))


def seed_ocean_objects():
    """The seed's example objects as the Ocean integration (and the backfill) fetch them, by kind."""
    project = {**seed_ocean("project-response.json"), "insight": SEED_INSIGHT}
    teams = [{**team, "__members": SEED_TEAM_MEMBERS.get(team["teamId"], [])}
             for team in seed_ocean("teams-response.json")]
    return {"project": [project], "user": seed_ocean("users-response.json"), "team": teams,
            "issue": [seed_ocean("issue-response.json")]}


def catalog_event(kind, item, event=None):
    """A webhook-shaped event carrying one REST object, as Jira (or the backfill) posts it."""
    default = "jira:issue_updated" if kind == "issue" else f"{kind}_updated"
    return {"timestamp": 1700000000000, "webhookEvent": event or default, kind: item}


BLUEPRINTS = {"project": "jiraProject", "user": "jiraUser", "team": "jiraTeam", "issue": "jiraIssue"}
SEED_ACCOUNT = "712020:05acda87-42da-44d8-b21e-f71a508e5d11"
# Where the seed's example entities contradict its own mappings (tests/fixtures/seed-ocean/README.md).
# The relations the catalog adds to the seed's issue model (releases, sprints, components, links):
# empty for the seed's issue, which has none of them.
ADDED_ISSUE_RELATIONS = ("fixVersions", "affectedVersions", "jiraComponents", "sprints", "blocks",
                         "isBlockedBy", "duplicates", "isDuplicatedBy", "clones", "isClonedBy",
                         "causes", "isCausedBy", "relatesTo")
SEED_CORRECTIONS = {
    "team": {"title": "AI"},
    "issue": {"properties": {"labels": ["infra"]},
              "relations": {"assignee": SEED_ACCOUNT, "reporter": SEED_ACCOUNT,
                            **{name: [] for name in ADDED_ISSUE_RELATIONS}}},
}


def expected_entity(kind):
    """The seed's example entity (identifier, title, properties, relations) with the corrections."""
    seed = seed_ocean(f"{kind}-entity.json")
    expected = {key: copy.deepcopy(seed[key]) for key in ("identifier", "title", "properties",
                                                           "relations")}
    for key, value in SEED_CORRECTIONS.get(kind, {}).items():
        expected[key] = {**expected[key], **value} if isinstance(value, dict) else value
    return expected


def comparable(entity):
    """An entity's identifying parts; properties the mapping left null are absent, as in Port."""
    return {"identifier": entity["identifier"], "title": entity["title"],
            "properties": {k: v for k, v in entity["properties"].items() if v is not None},
            "relations": entity["relations"]}
