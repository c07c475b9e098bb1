"""The API token: CATALOG_API_TOKEN when set, else one generated at first start and kept in the
database, so that the service is never open to anonymous requests."""

import hashlib
import hmac

import sqlalchemy as sa

from ..catalog.access import create_key, read_key, replace_key_ending_sessions
from ..config import Settings
from ..errors import ConfigError

API_TOKEN_KEY = "api_token"


def ensure_api_token(settings: Settings, engine: sa.Engine) -> str | None:
    """The generated token when this call created it (for the caller to print once), else None:
    CATALOG_API_TOKEN is set, or another worker or instance generated the token first."""
    if settings.CATALOG_API_TOKEN:
        return None
    token, created = create_key(engine, API_TOKEN_KEY)
    return token if created else None


def api_token(settings: Settings, engine: sa.Engine) -> str:
    """The token every /v1 request, the metrics (unless METRICS_TOKEN) and the UI login need.

    Read from the database on each call, so that a rotation reaches every running worker."""
    return (settings.CATALOG_API_TOKEN or read_key(engine, API_TOKEN_KEY)
            or create_key(engine, API_TOKEN_KEY)[0])


def rotate_api_token(settings: Settings, engine: sa.Engine) -> str:
    """Replace the generated token and end every UI session; returns the new token."""
    if settings.CATALOG_API_TOKEN:
        raise ConfigError("CATALOG_API_TOKEN is set: change it in the environment and restart to "
                          "rotate it (that also signs every UI session out)")
    return replace_key_ending_sessions(engine, API_TOKEN_KEY)


def token_matches(given: str, token: str) -> bool:
    """Whether `given` is `token`, compared in constant time; an empty token matches nothing."""
    return bool(token) and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def token_fingerprint(token: str) -> str:
    """What a UI session keeps to prove its login: never the token itself."""
    return hashlib.sha256(b"ui-login:" + token.encode("utf-8")).hexdigest()


def token_banner(token: str, port: str) -> str:
    """The notice printed once by the process that generated the token."""
    rule = "=" * 72
    return (f"\n{rule}\nNo CATALOG_API_TOKEN is set, so this token was generated and stored in the "
            f"database:\n\n    {token}\n\nSign in to the UI with it at http://localhost:{port}/login "
            f"(or this host's address),\nand send it to the API as 'Authorization: Bearer <token>'.\n"
            f"Print it again with: flask --app app api-token  (--rotate replaces it)\n{rule}\n")
