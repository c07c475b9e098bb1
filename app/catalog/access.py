"""The SQL of access control: stored keys (the generated API token), signed-in UI sessions and
failed token attempts per client, the same on SQLite and PostgreSQL."""

import secrets
from datetime import datetime

import sqlalchemy as sa

from .engine import dialect_insert
from .tables import auth_failures, service_keys, ui_sessions


def create_key(engine: sa.Engine, name: str) -> tuple[str, bool]:
    """The key stored under `name`, and whether this call created it: of callers racing on an
    empty table exactly one inserts (the primary key decides), the others read its value."""
    with engine.begin() as conn:
        stmt = dialect_insert(conn, service_keys).values(name=name,
                                                         value=secrets.token_urlsafe(32))
        inserted = conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"])
                                .returning(service_keys.c.value)).scalar_one_or_none()
        return (inserted, True) if inserted is not None else (read_key_in(conn, name), False)


def read_key(engine: sa.Engine, name: str) -> str | None:
    """The key stored under `name`, or None."""
    with engine.connect() as conn:
        return read_key_in(conn, name)


def read_key_in(conn: sa.Connection, name: str) -> str | None:
    return conn.execute(sa.select(service_keys.c.value)
                        .where(service_keys.c.name == name)).scalar_one_or_none()


def replace_key_ending_sessions(engine: sa.Engine, name: str) -> str:
    """Store a fresh random key under `name` and delete every UI session, in one transaction."""
    value = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        stmt = dialect_insert(conn, service_keys).values(name=name, value=value)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"],
                                                set_={"value": stmt.excluded.value}))
        conn.execute(ui_sessions.delete())
    return value


def insert_session(engine: sa.Engine, id_digest: str, now: datetime, expires_at: datetime) -> None:
    """Record a signed-in session; sessions already expired are deleted on the way (indexed)."""
    with engine.begin() as conn:
        conn.execute(ui_sessions.delete().where(ui_sessions.c.expires_at <= now))
        conn.execute(ui_sessions.insert().values(id_digest=id_digest, created_at=now,
                                                 expires_at=expires_at))


def session_exists(engine: sa.Engine, id_digest: str, now: datetime) -> bool:
    """Whether the session is recorded and not expired."""
    with engine.connect() as conn:
        return conn.execute(sa.select(ui_sessions.c.id_digest).where(
            ui_sessions.c.id_digest == id_digest,
            ui_sessions.c.expires_at > now)).first() is not None


def delete_session(engine: sa.Engine, id_digest: str) -> None:
    with engine.begin() as conn:
        conn.execute(ui_sessions.delete().where(ui_sessions.c.id_digest == id_digest))


def add_failure(engine: sa.Engine, client: str, window_start: datetime) -> int:
    """Count one failed attempt of `client` in the window; returns the window's failures so far.

    A client's first failure in a window deletes every earlier window (of all clients): old rows
    last only until the next failure, and the table never outgrows the clients failing now."""
    with engine.begin() as conn:
        stmt = dialect_insert(conn, auth_failures).values(client=client, window_start=window_start,
                                                          failures=1)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["client", "window_start"],
            set_={"failures": auth_failures.c.failures + 1}))
        failures = conn.execute(sa.select(auth_failures.c.failures).where(
            auth_failures.c.client == client,
            auth_failures.c.window_start == window_start)).scalar_one()
        if failures == 1:
            conn.execute(auth_failures.delete().where(auth_failures.c.window_start < window_start))
        return failures
