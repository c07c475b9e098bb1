"""GET /v1/reconcile: passes newest first, behind the API token."""

from app.reconcile.passes import Counts, finish_pass, start_pass
from app.runtime import runtime_of
from tests.support.clients import anonymous_client


def record(engine, kind, missed, error=None):
    pass_id = start_pass(engine, kind, "jira-catalog")
    finish_pass(engine, pass_id, Counts(seen=10, changed=missed, missed=missed), 1_700_000_000_000, error)
    return pass_id


def test_passes_are_listed_newest_first_with_what_they_found(app, client):
    engine = runtime_of(app).store.engine
    first = record(engine, "full", 0)
    second = record(engine, "incremental", 2, error="GET /rest/api/2/search: HTTP 500")

    answer = client.get("/v1/reconcile").json

    assert [p["id"] for p in answer["passes"]] == [second, first] and answer["total"] == 2
    newest = answer["passes"][0]
    assert (newest["kind"], newest["status"], newest["seen"], newest["missedByWebhooks"]) == (
        "incremental", "failed", 10, 2)
    assert newest["error"] == "GET /rest/api/2/search: HTTP 500" and newest["finishedAt"].endswith("Z")
    assert answer["webhooksMissingChanges"] is False


def test_three_passes_in_a_row_finding_missed_changes_raise_the_flag(app, client):
    engine = runtime_of(app).store.engine
    for missed in (0, 1, 4, 2):
        record(engine, "incremental", missed)
    assert client.get("/v1/reconcile").json["webhooksMissingChanges"] is True
    record(engine, "incremental", 0)
    assert client.get("/v1/reconcile").json["webhooksMissingChanges"] is False


def test_the_list_needs_the_api_token(app):
    answer = anonymous_client(app).get("/v1/reconcile")
    assert answer.status_code == 401 and answer.json["reason"]


def test_bad_paging_is_a_400(client):
    answer = client.get("/v1/reconcile?limit=0")
    assert answer.status_code == 400 and answer.json["reason"] == "invalid_paging"
