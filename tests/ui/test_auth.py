"""The UI's login, session cookie, CSRF tokens and session key (on SQLite)."""

import pytest

from app import create_app
from tests.support.helpers import SECRET, post_event, seed_payload
from tests.support.ui_helpers import (
    TOKEN,
    copy_mappings,
    csrf_from,
    log_in,
    ui_settings_overrides,  # noqa: F401  (the fixture)
)


def test_pages_need_a_login_when_the_token_is_set(client):
    for path in ("/", "/events", "/events/1", "/entities/jiraIssue", "/playground"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.startswith("/login?next=")
    assert client.get("/ui-static/ui.css").status_code == 200


def test_a_wrong_token_is_refused_and_the_right_one_signs_in(client):
    csrf = csrf_from(client, "/login")
    wrong = client.post("/login", data={"csrf_token": csrf, "token": "nope"})
    assert wrong.status_code == 401 and "not the service" in wrong.get_data(as_text=True)
    right = client.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/events"})
    assert right.status_code == 302 and right.location == "/events"
    assert client.get("/events").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_login_goes_only_to_local_pages(client, target):
    answer = client.post("/login", data={"csrf_token": csrf_from(client, "/login"),
                                         "token": TOKEN, "next": target})
    assert answer.location == "/"


def test_every_form_needs_the_session_csrf_token(client):
    event_id = post_event(client, seed_payload()).json["eventId"]
    log_in(client)
    for path in (f"/events/{event_id}/replay", "/logout", "/playground"):
        assert client.post(path, data={}).status_code == 400
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session(client):
    csrf = log_in(client)
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert client.get("/").status_code == 302


def test_the_session_key_is_derived_from_the_token(app, settings_overrides):
    again = create_app(settings_overrides)
    assert app.secret_key == again.secret_key
    assert TOKEN not in app.secret_key
    changed = create_app({**settings_overrides, "CATALOG_API_TOKEN": "another"})
    assert changed.secret_key != app.secret_key
    explicit = create_app({**settings_overrides, "SECRET_KEY": "set-by-operator"})
    assert explicit.secret_key == "set-by-operator"


def test_without_a_token_the_ui_is_open_but_writes_need_csrf(sqlite_url, tmp_path):
    settings = {"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                "MAPPINGS_DIR": copy_mappings(tmp_path)}
    app = create_app(settings)
    client = app.test_client()
    event_id = post_event(client, seed_payload()).json["eventId"]
    assert client.get("/").status_code == 200
    assert client.get("/login").status_code == 302
    assert client.post(f"/events/{event_id}/replay").status_code == 400
    csrf = csrf_from(client, f"/events/{event_id}")
    replayed = client.post(f"/events/{event_id}/replay", data={"csrf_token": csrf})
    assert replayed.status_code == 302
    # A second worker (another app on the same database) signs sessions with the same key.
    assert create_app(settings).secret_key == app.secret_key


def test_pages_cannot_be_framed_or_sniffed(client):
    answer = client.get("/login")
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def session_cookie(answer):
    return next(h for h in answer.headers.getlist("Set-Cookie") if h.startswith("bridge_session="))


@pytest.mark.parametrize("request_options, secure", [
    ({}, False),
    ({"base_url": "https://catalog.example"}, True),
    ({"headers": {"X-Forwarded-Proto": "https"}}, True),
])
def test_the_session_cookie_is_secure_when_the_page_came_over_https(client, request_options,
                                                                     secure):
    answer = client.get("/login", **request_options)
    cookie = session_cookie(answer)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie.split("; ")) is secure
