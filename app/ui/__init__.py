"""The web UI: pages to see events, entities and failures, replay events and try mappings.

Served at `/`, behind a login with the API token (CATALOG_API_TOKEN, or the one generated at first
start) and a session kept on the server; every form carries a CSRF token.
"""

import hashlib
import hmac

from flask import Blueprint, Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from ..access.sessions import LIFETIME
from ..catalog.store import Store
from ..config import Settings
from ..runtime import Runtime

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/ui-static")
SESSION_KEY_NAME = "ui_session_key"


def session_secret(settings: Settings, store: Store) -> str:
    """The key signing session cookies, the same in every worker and instance.

    SECRET_KEY when set; else derived from CATALOG_API_TOKEN (changing the token signs
    everyone out); else a random key generated once and kept in the database.
    """
    if settings.SECRET_KEY:
        return settings.SECRET_KEY
    if settings.CATALOG_API_TOKEN:
        return hmac.new(settings.CATALOG_API_TOKEN.encode("utf-8"), b"jira-catalog-bridge ui",
                        hashlib.sha256).hexdigest()
    return store.shared_key(SESSION_KEY_NAME)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building a signer for requests that carry no
    cookie: webhook deliveries never do, and the signer cost them more than their SQL."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when the page came over HTTPS, directly or through a TLS-terminating proxy
        (Heroku's router sets X-Forwarded-Proto). A forged header can only make the cookie
        stricter, so trusting it is safe."""
        return (super().get_cookie_secure(app) or request.is_secure
                or request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip() == "https")


def init_app(app: Flask, runtime: Runtime) -> None:
    """Attach the UI to `app`: session settings, the blueprint and its routes."""
    from . import auth, pages, playground_page  # noqa: F401  (they register their routes on bp)
    app.secret_key = session_secret(runtime.settings, runtime.store)
    app.session_interface = CookieSessions()
    app.config.update(SESSION_COOKIE_NAME="bridge_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=LIFETIME)
    app.register_blueprint(bp)
