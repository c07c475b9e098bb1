"""Link events make both linked issues current through the Jira connection, and the Sprint and Story
Points field ids come from Jira's field list, against a fake Jira over real HTTP on both databases."""

import copy
import threading
import time

import pytest

from app.catalog.jira_state import FIELDS, LINK_CURSOR, load_state
from app.ingest.jira_events import build_issue_event
from app.jira.client import JiraClient, JiraSettings
from app.jira.retry import GaveUp
from app.reconcile.fields import refresh_field_ids
from app.reconcile.links import linked_issue_ids, refresh_linked_issues, start_following
from app.reconcile.run import reconciler_for
from app.runtime import runtime_of
from tests.reconcile.conftest import open_app
from tests.support.fake_jira import FakeJira, make_issues
from tests.support.helpers import load_fixture, post_event

LINK_EVENT = load_fixture("mobitel-server-issuelink-created.json")


@pytest.fixture
def jira():
    """Overrides the conftest's: issues PI-1 to PI-3, served."""
    with FakeJira("server", issues=make_issues(3)) as fake:
        yield fake


def reconciler(app):
    state = runtime_of(app)
    return reconciler_for(state.store, state.configs, state.settings)


def entity(app, key):
    return app.test_client().get(f"/v1/blueprints/jiraIssue/entities/{key}").json["entity"]


def deliver_issues(app, jira):
    for found in jira.issues:
        assert post_event(app.test_client(), build_issue_event(found), webhook="jira-catalog").status_code == 202


def link_in_jira(jira, source, destination, updated="2024-02-01T10:00:00.000+0000"):
    """`source` blocks `destination` in Jira, which marks both updated; no issue event is sent."""
    blocks = {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
    outward, inward = jira.issue(source), jira.issue(destination)
    outward["fields"]["issuelinks"] = [
        {"id": "900", "type": blocks, "outwardIssue": {"id": inward["id"], "key": destination}}]
    inward["fields"]["issuelinks"] = [
        {"id": "900", "type": blocks, "inwardIssue": {"id": outward["id"], "key": source}}]
    for found in (outward, inward):
        found["fields"]["updated"] = updated
    return link_event(outward["id"], inward["id"])


def link_event(source_id, destination_id, name="issuelink_created"):
    event = copy.deepcopy(LINK_EVENT)
    event["webhookEvent"] = name
    event["issueLink"].update(sourceIssueId=int(source_id), destinationIssueId=int(destination_id))
    return event


def unreachable_jira():
    """A client of a Jira that refuses connections, trying once."""
    return JiraClient(JiraSettings(url="http://127.0.0.1:9", user="u", token="t", retries=1))


def test_a_link_event_makes_both_issues_current_once(jira_app, jira):
    deliver_issues(jira_app, jira)
    event = link_in_jira(jira, "PI-1", "PI-2")
    answer = post_event(jira_app.test_client(), event, webhook="jira-catalog")
    assert answer.json["status"] == "ignored"
    assert entity(jira_app, "PI-1")["relations"]["blocks"] == []

    assert refresh_linked_issues(reconciler(jira_app)) == 1
    assert entity(jira_app, "PI-1")["relations"]["blocks"] == ["PI-2"]
    assert entity(jira_app, "PI-2")["relations"]["isBlockedBy"] == ["PI-1"]
    assert load_state(runtime_of(jira_app).store.engine, LINK_CURSOR) == answer.json["eventId"]
    issue_reads = [r for r in jira.log if r.path.startswith("/rest/api/2/issue/")]
    assert refresh_linked_issues(reconciler(jira_app)) == 0
    assert len([r for r in jira.log if r.path.startswith("/rest/api/2/issue/")]) == len(issue_reads) == 2


def test_a_deleted_link_is_removed_and_an_issue_jira_no_longer_shows_is_skipped(jira_app, jira):
    deliver_issues(jira_app, jira)
    post_event(jira_app.test_client(), link_in_jira(jira, "PI-1", "PI-2"), webhook="jira-catalog")
    refresh_linked_issues(reconciler(jira_app))
    gone = jira.issues.pop(1)
    jira.issue("PI-1")["fields"].update(issuelinks=[], updated="2024-02-02T10:00:00.000+0000")
    deleted = link_event(jira.issue("PI-1")["id"], gone["id"], "issuelink_deleted")
    post_event(jira_app.test_client(), deleted, webhook="jira-catalog")

    assert refresh_linked_issues(reconciler(jira_app)) == 1
    assert entity(jira_app, "PI-1")["relations"]["blocks"] == []


def test_while_jira_is_unreachable_the_events_wait_for_the_next_attempt(database_url, jira):
    app = open_app(database_url, jira)
    deliver_issues(app, jira)
    post_event(app.test_client(), link_in_jira(jira, "PI-1", "PI-2"), webhook="jira-catalog")
    unreachable = reconciler(app)
    unreachable.jira = unreachable_jira()
    with pytest.raises(GaveUp):
        refresh_linked_issues(unreachable)
    assert load_state(runtime_of(app).store.engine, LINK_CURSOR) is None
    runtime_of(app).store.close()

    app = open_app(database_url, jira)
    assert refresh_linked_issues(reconciler(app)) == 1
    assert entity(app, "PI-1")["relations"]["blocks"] == ["PI-2"]
    runtime_of(app).store.close()


def test_the_worker_thread_follows_link_events(jira_app, jira):
    deliver_issues(jira_app, jira)
    state, stop = runtime_of(jira_app), threading.Event()
    thread = start_following(state.store, state.configs, state.settings, stop)
    try:
        post_event(jira_app.test_client(), link_in_jira(jira, "PI-2", "PI-3"), webhook="jira-catalog")
        deadline = time.monotonic() + 30
        while entity(jira_app, "PI-2")["relations"]["blocks"] != ["PI-3"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert entity(jira_app, "PI-2")["relations"]["blocks"] == ["PI-3"]
        assert load_state(state.store.engine, FIELDS)["sprint"] == ["customfield_10020"]
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


@pytest.mark.parametrize("body, ids", [
    ('{"issueLink": {"sourceIssueId": 18074, "destinationIssueId": "25877"}}', ["18074", "25877"]),
    ('{"issueLink": {"sourceIssueId": "x/../1", "destinationIssueId": true}}', []),
    ('{"issueLink": "none"}', []),
    ("[]", []),
])
def test_only_numeric_issue_ids_are_read_from_a_link_event(body, ids):
    assert linked_issue_ids(body) == ids


def test_field_ids_found_in_jira_reach_the_next_delivery(jira_app, jira):
    store = runtime_of(jira_app).store
    assert refresh_field_ids(store, reconciler(jira_app).jira)["storyPoints"] == ["customfield_10016",
                                                                                   "customfield_10028"]
    payload = build_issue_event(jira.issue("PI-1"))
    payload["issue"]["fields"].update(customfield_10028=8, customfield_10020=[
        {"id": 4, "name": "Sprint 4", "state": "active", "boardId": 1}])
    assert post_event(jira_app.test_client(), payload, webhook="jira-catalog").json["status"] == "applied"
    found = entity(jira_app, "PI-1")
    assert (found["properties"]["storyPoints"], found["relations"]["sprints"]) == (8, ["4"])


def test_a_pass_reads_the_field_ids_and_a_failing_field_list_keeps_the_known_ones(jira_app, jira):
    assert jira_app.test_cli_runner().invoke(args=["reconcile"]).exit_code == 0
    engine = runtime_of(jira_app).store.engine
    assert load_state(engine, FIELDS) == {"sprint": ["customfield_10020"],
                                          "storyPoints": ["customfield_10016", "customfield_10028"]}
    jira.fields = [{"id": "customfield_1", "name": "Sprint", "custom": True}]
    assert refresh_field_ids(runtime_of(jira_app).store, reconciler(jira_app).jira) == {
        "sprint": ["customfield_1"]}
    assert refresh_field_ids(runtime_of(jira_app).store, unreachable_jira()) == {"sprint": ["customfield_1"]}
    assert load_state(engine, FIELDS) == {"sprint": ["customfield_1"]}
