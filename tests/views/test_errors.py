"""Every error answered as JSON: unknown routes, wrong methods, the service's own errors, crashes."""

import pytest


def crash():
    raise RuntimeError("connection string postgresql://admin:hunter2@db")


@pytest.fixture
def crashing_client(app):
    """A client of the app with a /boom route whose view raises an unexpected exception."""
    app.add_url_rule("/boom", "boom", crash)
    return app.test_client()


def test_an_unknown_api_route_is_a_json_404_not_found(client):
    response = client.get("/v1/no/such/route")

    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.json["reason"] == "not_found"


def test_a_wrong_method_is_405_with_the_allowed_methods(client):
    response = client.delete("/healthz")

    assert response.status_code == 405 and response.json["reason"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"].split(", ")
    assert "DELETE" not in response.headers["Allow"]


def test_an_unexpected_exception_is_500_internal_error_without_its_text(crashing_client):
    response = crashing_client.get("/boom")

    assert response.status_code == 500 and response.json["reason"] == "internal_error"
    assert "hunter2" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method, path, status", [
    ("get", "/v1/no/such/route", 404), ("post", "/no/such/route", 404), ("delete", "/healthz", 405),
    ("get", "/boom", 500),
    ("get", "/v1/blueprints/nope", 404), ("get", "/v1/events?limit=x", 400),
    ("post", "/webhooks/nope", 404),
])
def test_every_error_body_has_ok_reason_and_message(crashing_client, method, path, status):
    response = getattr(crashing_client, method)(path)

    assert response.status_code == status
    assert set(response.json) == {"ok", "reason", "message"} and response.json["ok"] is False
    assert response.json["reason"] and response.json["message"]
