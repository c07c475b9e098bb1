"""Login with the API token, a server-side session behind the cookie, a CSRF token on every form,
and the limit on failed logins."""

import hmac
import secrets
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort, g, redirect, render_template, request, session, url_for

from ..access.limits import record_failure
from ..access.sessions import end_session, session_active, start_session
from ..access.tokens import api_token, token_fingerprint, token_matches
from ..runtime import current_runtime
from . import bp

OPEN_ENDPOINTS = {"ui.login", "ui.static"}
# No framing (the Replay and Save buttons cannot be clickjacked), nothing loaded from elsewhere,
# and no page kept by a browser or proxy after signing out.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                                           "form-action 'self'; base-uri 'none'",
                "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def engine() -> sa.Engine:
    return current_runtime().store.engine


def current_token() -> str:
    return api_token(current_runtime().settings, engine())


def signed_in() -> bool:
    """Whether the cookie names a live session started with the current token (once a request)."""
    if "signed_in" not in g:
        session_id, login = session.get("sid"), session.get("login")
        g.signed_in = bool(session_id and login) and hmac.compare_digest(
            login, token_fingerprint(current_token())) and session_active(engine(), session_id)
    return g.signed_in


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_context_processor
def inject_auth():
    return {"csrf_token": csrf_token, "signed_in": signed_in}


@bp.before_request
def guard():
    """Every page but login needs a signed-in session; every POST the session's CSRF token."""
    if request.endpoint not in OPEN_ENDPOINTS and not signed_in():
        return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
    if request.method == "POST":
        given = request.form.get("csrf_token", "")
        if not given or not hmac.compare_digest(given, session.get("csrf", "")):
            abort(400, "the form's CSRF token is missing or stale; reload the page and retry")
    return None


@bp.after_request
def protect_page(response):
    if request.endpoint != "ui.static":
        response.headers.update(PAGE_HEADERS)
    return response


def safe_next(target: str | None) -> str:
    """A clean local path to go to after login; anything else goes to the overview.

    Control characters are refused outright: browsers drop tabs and newlines from a Location, so
    `/<tab>/evil.example` would become `//evil.example`, and a newline cannot go in a header."""
    if not target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return url_for("ui.overview")
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target):
        return url_for("ui.overview")
    return target


def sign_in(token: str) -> None:
    """A fresh session: a new server-side session id and the token's fingerprint."""
    session.clear()
    session.permanent = True
    session["sid"] = start_session(engine())
    session["login"] = token_fingerprint(token)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; the right token starts a session, wrong ones count towards the limit."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        token = current_token()
        if token_matches(request.form.get("token", ""), token):
            sign_in(token)
            return redirect(safe_next(request.form.get("next")))
        wait = record_failure(engine(), request.remote_addr)
        if wait:
            error, status, headers = (f"Too many wrong tokens from this address: wait {wait} "
                                      "seconds and try again.", 429, {"Retry-After": str(wait)})
        else:
            error, status = "That token is not the service's API token.", 401
    return render_template("login.html", error=error, next=request.values.get("next", "")), \
        status, headers


@bp.post("/logout")
def logout():
    """End the session on the server too, so that a copy of the cookie stops working."""
    if session.get("sid"):
        end_session(engine(), session["sid"])
    session.clear()
    return redirect(url_for("ui.login"))
