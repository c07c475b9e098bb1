"""The one bearer-token check of the JSON API, with the limit on failed attempts."""

from flask import Response, request

from ..access.limits import record_failure
from ..access.tokens import api_token, token_matches
from ..errors import TooManyRequests, Unauthorized
from ..runtime import current_runtime

API_TOKEN_SETTING = "CATALOG_API_TOKEN, or when unset the generated one (flask --app app api-token)"


def bearer_credentials() -> str | None:
    """The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 7235), or None."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def require_bearer(token: str, setting: str, reason: str) -> None:
    """Raise unless the request carries `Authorization: Bearer <token>`. The token is compared
    first, so the right one always passes; a wrong one counts as a failed attempt of the client's
    address, and over the limit the answer is 429. `setting` says in the message where the token comes from."""
    given = bearer_credentials()
    if given is not None and token_matches(given, token):
        return
    if "Authorization" in request.headers:
        wait = record_failure(current_runtime().store.engine, request.remote_addr)
        if wait:
            raise TooManyRequests(f"too many wrong tokens from {request.remote_addr}; retry in "
                                  f"{wait} s (the token: {setting})", wait)
    raise Unauthorized(f"a valid 'Authorization: Bearer <token>' is required; the token: {setting}",
                       reason)


def require_api_token() -> None:
    """Every /v1 request needs the API token; the UI's cookie is never read here, so a form
    posted from another site cannot act with a signed-in user's session."""
    state = current_runtime()
    require_bearer(api_token(state.settings, state.store.engine), API_TOKEN_SETTING,
                   "invalid_api_token")


def no_store(response: Response) -> Response:
    """Authenticated answers are never kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    return response
