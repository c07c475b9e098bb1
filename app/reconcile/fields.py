"""The custom field ids mappings read (``jira.fields``), found in Jira's field list and stored so that
every process translates with the same ids."""

import logging

from ..catalog.jira_state import FIELDS, load_state, save_state
from ..catalog.store import Store
from ..errors import BridgeError
from ..jira.client import JiraClient
from ..jira.fields import fetch_field_ids

log = logging.getLogger("jira_catalog_bridge.reconcile")


def refresh_field_ids(store: Store, jira: JiraClient) -> dict[str, list[str]]:
    """Read Jira's field list and store the ids found; on a Jira or network failure the stored ids
    stay as they were (logged): events still translate, with what was known."""
    try:
        found = fetch_field_ids(jira)
    except (BridgeError, OSError) as exc:
        message = exc.message if isinstance(exc, BridgeError) else str(exc)
        log.warning("reading Jira's field list failed, keeping the known field ids: %s", message)
        return load_state(store.engine, FIELDS, {})
    if found != load_state(store.engine, FIELDS, {}):
        save_state(store.engine, FIELDS, found)
        log.info("Jira field ids: %s", ", ".join(f"{role}={'/'.join(ids)}" for role, ids in found.items())
                 or "no Sprint or Story Points field")
    store.field_ids.forget()
    return found
