"""Replay: the current configurations run again over stored raw events, newest-wins still holding."""

import json
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from ..catalog.store import EventOutcome, Store
from ..catalog.tables import events
from ..errors import NotFound
from ..mapping.configs import WebhookConfig
from ..mapping.translate import translate
from .events import explain_ignored, jq_input_for, stored_headers


def replay_event(store: Store, configs: dict[str, WebhookConfig], event_id: int) -> EventOutcome:
    """Re-run the current configuration over a stored raw event; newest-wins still applies."""
    row = store.load_event(event_id)
    if row is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    config = configs.get(row.webhook)
    if config is None:
        raise NotFound(f"event {event_id} came to webhook {row.webhook!r}, which no longer "
                       "has a configuration", "unknown_webhook")
    body = json.loads(row.body)
    headers = stored_headers(config.security, row.headers)
    translation = explain_ignored(translate(config, jq_input_for(row.body, body, headers, row.query,
                                                                  store.jira_context()), body),
                                  row.event_type)
    return store.reprocess(row.id, row.version, translation)


def select_event_ids(engine: sa.Engine, status: str | None = None, since: datetime | None = None,
                     webhook: str | None = None, event_ids: Iterable[int] | None = None) -> list[int]:
    """Ids of stored events matching every given filter, oldest first."""
    conditions = []
    if status:
        conditions.append(events.c.status == status)
    if since:
        conditions.append(events.c.received_at >= since)
    if webhook:
        conditions.append(events.c.webhook == webhook)
    if event_ids:
        conditions.append(events.c.id.in_(event_ids))
    with engine.connect() as conn:
        return list(conn.execute(sa.select(events.c.id).where(*conditions)
                                 .order_by(events.c.id)).scalars())
