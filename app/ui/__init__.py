"""The web UI: pages to see events, entities and failures, replay events and try mappings.

Served at `/`, protected by CATALOG_API_TOKEN through a login form and a session cookie;
every form carries a CSRF token.
"""

import hashlib
import hmac

from flask import Blueprint

bp = Blueprint("ui", __name__, template_folder="templates", static_folder="static",
               static_url_path="/ui-static")
SESSION_KEY_NAME = "ui_session_key"


def session_secret(settings, store):
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


def register_ui(app, runtime):
    """Attach the UI to `app`: session settings, the blueprint and its routes."""
    from . import auth, playground_page, views  # noqa: F401  (they register their routes on bp)
    app.secret_key = session_secret(runtime.settings, runtime.store)
    app.config.update(SESSION_COOKIE_NAME="bridge_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.register_blueprint(bp)
