"""Port's side of forwarding set up: the client the settings configure, and the shipped blueprints
created in Port where it lacks them."""

import logging

from ..config import PortSettings
from .client import PortClient, PortPermanentError

log = logging.getLogger("jira_catalog_bridge.port")


def build_client(settings: PortSettings) -> PortClient | None:
    """A PortClient from the `PORT_*` settings; None when forwarding is off."""
    if not settings.enabled:
        return None
    return PortClient(settings.base_url, settings.client_id, settings.client_secret,
                      timeout=settings.timeout)


def ensure_blueprints(client: PortClient, blueprints: list[dict]) -> list[str]:
    """Create the blueprints Port lacks, relation targets first; never touch existing ones.

    Returns the identifiers created.
    """
    created = []
    for blueprint in order_by_relations(blueprints):
        identifier = blueprint["identifier"]
        if client.get_blueprint(identifier) is not None:
            continue
        try:
            client.create_blueprint(blueprint)
        except PortPermanentError as exc:
            if exc.status != 409:  # 409: another instance created it meanwhile
                raise
            continue
        log.info("created blueprint %s in Port", identifier)
        created.append(identifier)
    return created


def order_by_relations(blueprints: list[dict]) -> list[dict]:
    """Blueprints ordered so each comes after the blueprints its relations point to."""
    by_id = {b["identifier"]: b for b in blueprints}
    ordered, visiting = {}, set()

    def visit(identifier: str | None) -> None:
        if identifier in ordered or identifier in visiting or identifier not in by_id:
            return  # done, a cycle (Port must then resolve it), or a blueprint not shipped here
        visiting.add(identifier)
        for relation in (by_id[identifier].get("relations") or {}).values():
            visit(relation.get("target"))
        ordered[identifier] = by_id[identifier]

    for identifier in by_id:
        visit(identifier)
    return list(ordered.values())
