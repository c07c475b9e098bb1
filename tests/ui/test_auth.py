"""The UI's login, server-side sessions, CSRF tokens, the limit on wrong logins and the session
key (on SQLite)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.access.limits import MAX_FAILURES
from app.access.sessions import LIFETIME
from app.catalog.tables import ui_sessions
from app.runtime import runtime_of
from tests.support.clients import anonymous_client, app_api_token, bearer
from tests.support.helpers import SECRET, post_event, seed_payload
from tests.support.ui_helpers import (
    TOKEN,
    copy_mappings,
    csrf_from,
    log_in,
    ui_csrf,  # noqa: F401  (the fixture)
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


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil",
                                    "/\t/evil.example", "/\n/evil.example", "/\r\nSet-Cookie: x=1",
                                    "/\x7f/evil.example", "http:/evil.example",
                                    "javascript:alert(1)", "evil.example", " //evil.example"])
def test_login_goes_only_to_local_pages(client, target):
    answer = client.post("/login", data={"csrf_token": csrf_from(client, "/login"),
                                         "token": TOKEN, "next": target})
    assert answer.status_code == 302 and answer.location == "/"


def test_login_keeps_a_clean_local_next(client):
    answer = client.post("/login", data={"csrf_token": csrf_from(client, "/login"),
                                         "token": TOKEN, "next": "/events?status=failed"})
    assert answer.location == "/events?status=failed"


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


def copy_of_cookie(app, client):
    """A second client holding the same session cookie (a stolen or kept copy)."""
    copy = anonymous_client(app)
    copy.set_cookie("bridge_session", client.get_cookie("bridge_session").value)
    return copy


def session_rows(app):
    with runtime_of(app).store.engine.connect() as conn:
        return conn.execute(sa.select(ui_sessions)).all()


def test_sign_out_ends_the_session_on_the_server_too(app, client):
    csrf = log_in(client)
    copy = copy_of_cookie(app, client)
    assert copy.get("/").status_code == 200 and len(session_rows(app)) == 1

    client.post("/logout", data={"csrf_token": csrf})

    assert session_rows(app) == []
    assert copy.get("/").location.startswith("/login")


def test_sessions_expire_and_expired_rows_are_deleted_at_the_next_login(app, client):
    log_in(client)
    [row] = session_rows(app)
    assert row.expires_at - row.created_at == LIFETIME
    with runtime_of(app).store.engine.begin() as conn:
        conn.execute(ui_sessions.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    assert client.get("/").location.startswith("/login")
    log_in(anonymous_client(app))
    assert [r.id_digest for r in session_rows(app)] != [row.id_digest]
    assert len(session_rows(app)) == 1


def test_rotating_the_generated_token_ends_every_session(sqlite_url, tmp_path):
    app = create_app({"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                      "MAPPINGS_DIR": copy_mappings(tmp_path)})
    old = app_api_token(app)
    browser = anonymous_client(app)
    log_in(browser, old)

    rotated = app.test_cli_runner().invoke(args=["api-token", "--rotate"])

    new = rotated.stdout.strip()
    assert rotated.exit_code == 0 and new != old and app_api_token(app) == new
    assert browser.get("/").location.startswith("/login") and session_rows(app) == []
    api = anonymous_client(app)
    assert api.get("/v1/events", headers=bearer(old)).status_code == 401
    assert api.get("/v1/events", headers=bearer(new)).status_code == 200
    log_in(browser, new)
    assert browser.get("/").status_code == 200


def test_wrong_logins_over_the_limit_are_429_but_the_right_token_still_signs_in(client):
    csrf = csrf_from(client, "/login")
    for _ in range(MAX_FAILURES):
        assert client.post("/login", data={"csrf_token": csrf, "token": "guess"}).status_code == 401

    limited = client.post("/login", data={"csrf_token": csrf, "token": "guess"})

    assert limited.status_code == 429 and "Too many wrong tokens" in limited.get_data(as_text=True)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    right = client.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/events"})
    assert right.status_code == 302 and right.location == "/events"


def test_pages_are_not_stored_by_caches(client, csrf):
    for path in ("/", "/events", "/playground", "/login"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_the_session_key_is_derived_from_the_token(app, settings_overrides):
    again = create_app(settings_overrides)
    assert app.secret_key == again.secret_key
    assert TOKEN not in app.secret_key
    changed = create_app({**settings_overrides, "CATALOG_API_TOKEN": "another"})
    assert changed.secret_key != app.secret_key
    explicit = create_app({**settings_overrides, "SECRET_KEY": "set-by-operator"})
    assert explicit.secret_key == "set-by-operator"


def test_in_the_default_configuration_the_ui_needs_the_generated_token(sqlite_url, tmp_path):
    settings = {"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
                "MAPPINGS_DIR": copy_mappings(tmp_path)}
    app = create_app(settings)
    client = anonymous_client(app)
    event_id = post_event(client, seed_payload()).json["eventId"]
    for path in ("/", "/events", f"/events/{event_id}", "/playground"):
        assert client.get(path).location.startswith("/login?next=")
    replay = client.post(f"/events/{event_id}/replay", data={"csrf_token": csrf_from(client, "/login")})
    assert replay.status_code == 302 and replay.location.startswith("/login")
    log_in(client, app_api_token(app))
    assert client.get("/").status_code == 200
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
