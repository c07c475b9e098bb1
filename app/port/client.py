"""A small client for Port's REST API: access tokens, entity upsert/bulk/delete and blueprints.

The client makes one attempt per call and classifies failures; the delivery loop decides when to
retry. `PortRetryableError` covers 429, 5xx, timeouts and connection errors (and failed token
requests, since bad credentials are fixed by the operator, not by parking items);
`PortPermanentError` covers the other 4xx answers.

A 429 pauses every client of the same credentials and base URL in this process (see
`app.port.ratelimit`): until Port's wait has passed, their calls fail fast with `PortRetryableError`
and nothing reaches Port.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from ..config import DEFAULT_PORT_BASE_URL
from .ratelimit import RateLimitPause, retry_after_of, shared_pause

log = logging.getLogger("jira_catalog_bridge.port")

DEFAULT_TIMEOUT = 10.0
# Refresh this long before the token's stated expiry, so a request never carries a stale token.
TOKEN_REFRESH_MARGIN = 60.0


class PortError(Exception):
    """Any failure talking to Port."""


class PortRetryableError(PortError):
    """Worth retrying later; `retry_after` is Port's requested wait in seconds, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class PortPermanentError(PortError):
    """Port refused the request in a way retrying cannot fix (e.g. 422 schema mismatch, 404)."""

    def __init__(self, status: int, body: object):
        super().__init__(f"Port answered {status}: {describe_body(body)}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class BulkResult:
    """The outcome for one entity of a bulk upsert; `status` is Port's per-entity code."""

    index: int
    identifier: str
    ok: bool
    status: int
    error: object = None


def describe_body(body: object) -> str:
    """A short human-readable form of Port's error body."""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:500]
    return str(body)[:500]


def bool_param(value: bool) -> str:
    """Port's query strings spell booleans `true`/`false`."""
    return "true" if value else "false"


def json_or_text(response: requests.Response) -> object:
    """The response body as JSON when it is JSON, else as text."""
    try:
        return response.json()
    except ValueError:
        return response.text


def field_of(response: requests.Response, key: str, default: object = None) -> Any:
    """One key of a JSON object answer; `default` when the answer is not one."""
    body = json_or_text(response)
    return body.get(key, default) if isinstance(body, dict) else default


def raise_for_status(response: requests.Response) -> None:
    """Classify a failed response; return nothing for 2xx."""
    status = response.status_code
    if status < 400:
        return
    # 401 here survived a token refresh: a credentials problem, not the item's fault.
    if status in (401, 408, 429) or status >= 500:
        raise PortRetryableError(f"Port answered {status}: {describe_body(json_or_text(response))}",
                                 retry_after_of(response), status)
    raise PortPermanentError(status, json_or_text(response))


class PortClient:
    """One organisation's credentials against one Port API base URL."""

    def __init__(self, base_url: str | None, client_id: str, client_secret: str,
                 session: requests.Session | None = None, timeout: float = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic,
                 rate_limit: RateLimitPause | None = None):
        self.base_url = (base_url or DEFAULT_PORT_BASE_URL).rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.session = session or requests.Session()
        self.timeout = timeout
        self.clock = clock
        self.rate_limit = rate_limit or shared_pause(self.base_url, client_id)
        self._token = None
        self._token_expires_at = 0.0

    def upsert(self, blueprint: str, entity: dict, merge: bool = False, create_missing: bool = False) -> dict:
        """Create or update one entity; returns Port's stored entity."""
        response = self._request("POST", f"{blueprint_path(blueprint)}/entities",
                                 json=entity_body(entity),
                                 params=upsert_params(merge, create_missing))
        raise_for_status(response)
        return field_of(response, "entity", {})

    def bulk_upsert(self, blueprint: str, entities: list[dict], merge: bool = False,
                    create_missing: bool = False) -> list[BulkResult]:
        """Create or update 1-20 entities of one blueprint; one BulkResult per entity, in order."""
        response = self._request("POST", f"{blueprint_path(blueprint)}/entities/bulk",
                                 json={"entities": [entity_body(e) for e in entities]},
                                 params=upsert_params(merge, create_missing))
        raise_for_status(response)
        if response.status_code != 207:
            return [BulkResult(i, e["identifier"], True, response.status_code)
                    for i, e in enumerate(entities)]
        body = json_or_text(response)
        return bulk_results(entities, body if isinstance(body, dict) else {})

    def delete(self, blueprint: str, identifier: str, delete_dependents: bool = False) -> bool:
        """Delete one entity; True if deleted, False if it was already gone (404)."""
        path = f"{blueprint_path(blueprint)}/entities/{quote(identifier, safe='')}"
        response = self._request("DELETE", path,
                                 params={"delete_dependents": bool_param(delete_dependents)})
        # A missing entity is the goal reached; a missing blueprint is a real error.
        message = describe_body(json_or_text(response)).lower()
        if response.status_code == 404 and "blueprint" not in message:
            return False
        raise_for_status(response)
        return True

    def get_blueprint(self, identifier: str) -> dict | None:
        """The blueprint definition, or None when Port has no such blueprint."""
        response = self._request("GET", blueprint_path(identifier))
        if response.status_code == 404:
            return None
        raise_for_status(response)
        return field_of(response, "blueprint")

    def create_blueprint(self, blueprint: dict) -> dict:
        """Create a blueprint; returns Port's stored definition."""
        response = self._request("POST", "/v1/blueprints", json=blueprint)
        raise_for_status(response)
        return field_of(response, "blueprint", blueprint)

    def access_token(self) -> str:
        """A valid access token, fetched when missing or about to expire."""
        if self._token is None or self.clock() >= self._token_expires_at:
            self._fetch_token()
        return self._token

    def _fetch_token(self) -> None:
        """Get a new access token; any failure is retryable (see the module docstring)."""
        response = self._send("POST", "/v1/auth/access_token",
                              json={"clientId": self.client_id, "clientSecret": self.client_secret})
        token = field_of(response, "accessToken")
        if response.status_code >= 400 or not token:
            raise PortRetryableError(f"Port refused the credentials ({response.status_code}): "
                                     f"{describe_body(json_or_text(response))}",
                                     retry_after_of(response), response.status_code)
        lifetime = float(field_of(response, "expiresIn") or 0)
        self._token = token
        self._token_expires_at = self.clock() + max(0.0, lifetime - min(TOKEN_REFRESH_MARGIN,
                                                                         lifetime / 10))

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send with the bearer token; on 401 fetch a fresh token and try exactly once more."""
        response = self._send(method, path, headers=self._auth_header(), **kwargs)
        if response.status_code == 401:
            self._token = None
            response = self._send(method, path, headers=self._auth_header(), **kwargs)
        return response

    def _auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token()}"}

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        """One HTTP exchange, unless a 429 pause is in force; network trouble and the pause
        become PortRetryableError."""
        wait = self.rate_limit.remaining()
        if wait > 0:
            raise PortRetryableError(f"Port's rate limit holds requests back for another {wait:.1f}s",
                                     wait, 429)
        response = self._exchange(method, path, **kwargs)
        if response.status_code == 429:
            self._pause_for(response)
        return response

    def _pause_for(self, response: requests.Response) -> None:
        """Hold back every request of these credentials in this process for Port's wait."""
        self.rate_limit.extend(retry_after_of(response))
        log.warning("Port answered 429: no request goes to Port from this process for %.1fs",
                    self.rate_limit.remaining())

    def _exchange(self, method: str, path: str, **kwargs) -> requests.Response:
        """The HTTP request itself; network trouble becomes PortRetryableError."""
        try:
            return self.session.request(method, self.base_url + path, timeout=self.timeout,
                                        **kwargs)
        except requests.Timeout as exc:
            raise PortRetryableError(f"Port did not answer in {self.timeout}s: {exc}") from exc
        except requests.ConnectionError as exc:
            raise PortRetryableError(f"Port is unreachable: {exc}") from exc
        except requests.RequestException as exc:
            raise PortRetryableError(f"request to Port failed: {exc}") from exc


def blueprint_path(blueprint: str) -> str:
    """`/v1/blueprints/{blueprint}`, the identifier escaped."""
    return f"/v1/blueprints/{quote(blueprint, safe='')}"


def entity_body(entity: dict) -> dict:
    """The entity as Port's entity routes take it (the blueprint is in the path)."""
    return {k: v for k, v in entity.items() if k != "blueprint"}


def upsert_params(merge: bool, create_missing: bool) -> dict[str, str]:
    """The query string shared by single and bulk upserts."""
    return {"upsert": "true", "merge": bool_param(merge),
            "create_missing_related_entities": bool_param(create_missing)}


def bulk_results(entities: list[dict], body: dict) -> list[BulkResult]:
    """Map Port's 207 answer (`entities` and `errors`, keyed by index) onto the request order."""
    succeeded = {item.get("index"): item for item in body.get("entities") or []}
    failed = {item.get("index"): item for item in body.get("errors") or []}
    results = []
    for index, entity in enumerate(entities):
        if index in succeeded:
            results.append(BulkResult(index, entity["identifier"], True, 201))
        else:
            error = failed.get(index, {"message": "Port reported no outcome for this entity"})
            results.append(BulkResult(index, entity["identifier"], False,
                                      int(error.get("statusCode") or 500), error))
    return results
