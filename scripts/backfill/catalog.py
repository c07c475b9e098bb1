"""Reading the service's catalog, and the deletions that prune the entities a complete run did not produce
(the prune rule itself is app.jira.prune's)."""

from __future__ import annotations

from app.ingest.jira_events import build_delete_event
from app.jira.retry import HttpClient, RetryPolicy

from .config import ConfigError
from .poster import answer_body, failure_text

CATALOG_PAGE = 1000


class CatalogReader:
    """Lists entities through ``GET <base>/v1/blueprints/<bp>/entities``."""

    def __init__(self, base: str, token: str | None, policy: RetryPolicy, timeout: float):
        self.base = base
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = HttpClient(policy, timeout, headers)

    def entities(self, blueprint: str) -> dict[str, dict]:
        """Every entity of ``blueprint`` by identifier (empty when the blueprint is unknown)."""
        found: dict[str, dict] = {}
        offset = 0
        while True:
            page = self.read_page(blueprint, offset)
            found.update((entity["identifier"], entity) for entity in page.get("entities", []))
            offset += len(page.get("entities", []))
            if not page.get("entities") or offset >= page.get("total", 0):
                return found

    def check_access(self, blueprint: str) -> None:
        """Read one entity, so that a refused token stops the run before it imports anything."""
        self.read_page(blueprint, 0, limit=1)

    def read_page(self, blueprint: str, offset: int, limit: int = CATALOG_PAGE) -> dict:
        """One page of the entity list; ConfigError naming the token's flag when the API refuses it."""
        url = f"{self.base}/v1/blueprints/{blueprint}/entities"
        response = self.http.request("GET", url, params={"limit": limit, "offset": offset})
        if response.status_code in (401, 403):
            said = failure_text(answer_body(response))
            raise ConfigError(f"the catalog API refused --catalog-token (env CATALOG_API_TOKEN): HTTP "
                              f"{response.status_code}{' ' + said if said else ''}; "
                              f"flask --app app api-token prints the service's token")
        if response.status_code == 404:
            return {"entities": [], "total": 0}
        response.raise_for_status()
        return response.json()


def deletion_events(kind: str, identifiers: list[str], cloud: bool) -> list[tuple[str, dict]]:
    """(label, event) pairs deleting each identifier the way Jira's own deletion webhooks would."""
    return [(identifier, build_delete_event(kind, identifier, cloud)) for identifier in identifiers]
