"""The one bearer-token check of the JSON API."""

import hmac

from flask import request

from ..errors import Unauthorized


def require_bearer(token: str, setting: str, reason: str) -> None:
    """Raise Unauthorized unless the request carries `Authorization: Bearer <token>`; an empty
    `token` (the setting unset) lets every request through. `setting` names it in the message."""
    if not token:
        return
    given = request.headers.get("Authorization", "")
    if not given.startswith("Bearer ") or not hmac.compare_digest(
            given[7:].strip().encode("utf-8"), token.encode("utf-8")):
        raise Unauthorized(f"a valid 'Authorization: Bearer <{setting}>' is required", reason)
