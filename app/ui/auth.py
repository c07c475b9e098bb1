"""Login with the read API's token, a session cookie, and a CSRF token on every form."""

import hashlib
import hmac
import secrets

from flask import abort, redirect, render_template, request, session, url_for

from ..runtime import current_runtime
from . import bp

OPEN_ENDPOINTS = {"ui.login", "ui.static"}
# No framing (the Replay and Save buttons cannot be clickjacked), nothing loaded from elsewhere.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                                           "form-action 'self'; base-uri 'none'",
                "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin"}


def api_token() -> str:
    return current_runtime().settings.CATALOG_API_TOKEN


def token_fingerprint(token: str) -> str:
    """What the session keeps to prove a login: never the token itself."""
    return hashlib.sha256(b"ui-login:" + token.encode("utf-8")).hexdigest()


def signed_in() -> bool:
    """Whether the request may see the UI: no token configured, or a login with the current one."""
    token = api_token()
    return not token or hmac.compare_digest(session.get("login", ""), token_fingerprint(token))


def csrf_token() -> str:
    """This session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_context_processor
def inject_auth():
    return {"csrf_token": csrf_token, "login_enabled": bool(api_token())}


@bp.before_request
def guard():
    """Every POST carries the session's CSRF token; every page but login needs a login."""
    if request.method == "POST":
        given = request.form.get("csrf_token", "")
        if not given or not hmac.compare_digest(given, session.get("csrf", "")):
            abort(400, "the form's CSRF token is missing or stale; reload the page and retry")
    if request.endpoint not in OPEN_ENDPOINTS and not signed_in():
        return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))


@bp.after_request
def protect_page(response):
    response.headers.update(PAGE_HEADERS)
    return response


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else goes to the overview."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("ui.overview")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a correct token starts a fresh session."""
    if not api_token():
        return redirect(url_for("ui.overview"))
    error = None
    if request.method == "POST":
        given = request.form.get("token", "")
        if hmac.compare_digest(given.encode("utf-8"), api_token().encode("utf-8")):
            session.clear()
            session["login"] = token_fingerprint(api_token())
            return redirect(safe_next(request.form.get("next")))
        error = "That token is not the service's CATALOG_API_TOKEN."
    return render_template("login.html", error=error, next=request.values.get("next", "")), \
        401 if error else 200


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("ui.login"))
