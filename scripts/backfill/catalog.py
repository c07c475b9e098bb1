"""Reading the service's catalog, and the deletions that prune the entities a complete run did not produce
(the prune rule itself is app.jira.prune's)."""

from __future__ import annotations

from collections.abc import Iterator

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

    def identifier_pages(self, blueprint: str) -> Iterator[list[tuple[str, str]]]:
        """The (blueprint, identifier) of every entity of ``blueprint``, a page at a time."""
        for page in self.entity_pages(blueprint):
            yield [(blueprint, entity["identifier"]) for entity in page]

    def entity_pages(self, blueprint: str) -> Iterator[list[dict]]:
        """The entities of ``blueprint``, one page of the list at a time (none when the blueprint is unknown)."""
        offset = 0
        while True:
            page = self.read_page(blueprint, offset)
            entities = page.get("entities") or []
            if entities:
                yield entities
            offset += len(entities)
            if not entities or offset >= page.get("total", 0):
                return

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
