"""GET /healthz: 200 while the database answers, 503 database_unavailable when it does not."""

import os

from app import create_app
from app.runtime import runtime_of
from tests.support.helpers import SECRET


def test_a_healthy_service_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200 and response.get_json() == {"ok": True}


def test_healthz_reports_database_failure(sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET})
    client = app.test_client()
    assert client.get("/healthz").json == {"ok": True}
    engine = runtime_of(app).store.engine
    engine.dispose()
    path = engine.url.database
    os.rename(path, path + ".gone")
    os.makedirs(path)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["reason"] == "database_unavailable"
