"""GET /v1/outbox: its status filter, the answer's shape, and the API token it needs."""

from app import create_app
from app.port.outbox import STATUSES
from app.runtime import runtime_of
from tests.support.clients import anonymous_client
from tests.support.helpers import SECRET


def test_outbox_status_filter_is_checked(client):
    response = client.get("/v1/outbox?status=lost")

    assert response.status_code == 400 and response.get_json()["reason"] == "invalid_status"
    assert response.get_json()["message"].endswith(f"use one of {', '.join(STATUSES)}")


def test_an_empty_outbox_answers_no_items_and_a_zero_count_per_status(client):
    answer = client.get("/v1/outbox").get_json()

    assert (answer["ok"], answer["items"], answer["total"], answer["next"]) == (True, [], 0, None)
    assert answer["counts"] == dict.fromkeys(STATUSES, 0)
    assert set(answer["counts"]) == {"pending", "inflight", "sent", "dead", "superseded"}


def test_the_outbox_needs_the_api_token_when_it_is_set(sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "CATALOG_API_TOKEN": "read-token"})
    client = anonymous_client(app)
    refused = client.get("/v1/outbox")
    allowed = client.get("/v1/outbox", headers={"Authorization": "Bearer read-token"})
    runtime_of(app).store.close()

    assert refused.status_code == 401 and refused.get_json()["reason"] == "invalid_api_token"
    assert allowed.status_code == 200
