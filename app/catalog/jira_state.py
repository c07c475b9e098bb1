"""What the service has learned from Jira, kept by name in one small table: the custom field ids the
mappings read (``jira.fields`` in their input) and the linked-issue refresh's place in the event log."""

import threading
import time

import sqlalchemy as sa

from .engine import dialect_insert, utcnow
from .tables import events, jira_state

FIELDS = "fields"
LINK_CURSOR = "link_cursor"
# How long a process trusts its copy of the field ids before reading them again: a refresh by the
# worker reaches every web process within this.
FIELDS_TTL_SECONDS = 30.0


def save_state(engine: sa.Engine, name: str, value) -> None:
    """Store `value` (JSON) under `name`, replacing what was there."""
    with engine.begin() as conn:
        stmt = dialect_insert(conn, jira_state).values(name=name, value=value, updated_at=utcnow())
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
            "value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at}))


def load_state(engine: sa.Engine, name: str, default=None):
    """The value stored under `name`, or `default`."""
    with engine.connect() as conn:
        value = conn.execute(sa.select(jira_state.c.value).where(jira_state.c.name == name)).scalar_one_or_none()
    return default if value is None else value


class FieldIds:
    """This process's copy of the field ids found in Jira ({role: field id}), read again after
    FIELDS_TTL_SECONDS; empty while none were found."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.lock = threading.Lock()
        self.value: dict[str, str] = {}
        self.read_at: float | None = None

    def get(self) -> dict[str, str]:
        """The current field ids."""
        now = time.monotonic()
        with self.lock:
            if self.read_at is None or now - self.read_at >= FIELDS_TTL_SECONDS:
                self.value, self.read_at = dict(load_state(self.engine, FIELDS, {})), now
            return self.value

    def forget(self) -> None:
        """Read the stored ids again on next use."""
        with self.lock:
            self.read_at = None


def link_events_after(engine: sa.Engine, webhook: str, event_types: tuple[str, ...], after: int,
                      limit: int) -> list[sa.Row]:
    """Up to `limit` events of `webhook` of the given types recorded after event id `after`, oldest first."""
    with engine.connect() as conn:
        return conn.execute(sa.select(events.c.id, events.c.body).where(
            events.c.webhook == webhook, events.c.event_type.in_(event_types), events.c.id > after)
            .order_by(events.c.id).limit(limit)).all()
