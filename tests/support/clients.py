"""Test clients: every Flask test client carries the app's API token, as an API consumer does;
`anonymous_client` sends no credentials at all."""

from flask import Flask
from flask.testing import FlaskClient

from app.access.tokens import api_token
from app.runtime import runtime_of


def app_api_token(app: Flask) -> str:
    """The token the app's /v1 routes accept (configured, or generated at its first start)."""
    state = runtime_of(app)
    return api_token(state.settings, state.store.engine)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ApiClient(FlaskClient):
    """A test client whose requests carry `Authorization: Bearer <the app's token>`; a request's
    own Authorization header replaces it. The UI ignores it: pages still need a login."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {app_api_token(self.application)}"


def anonymous_client(app: Flask) -> FlaskClient:
    """A test client with no credentials: what anyone who can reach the port sends."""
    return FlaskClient(app, app.response_class, use_cookies=True)
