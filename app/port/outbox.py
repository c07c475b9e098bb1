"""The outbox: entity changes waiting to be forwarded to Port, stored beside the catalog.

The store writes each change with `Outbox.enqueue` in the same transaction as the change itself, so
a change is forwarded if and only if it was applied. The delivery loop (`app.port.delivery`) claims due
items with `claim_batch`, sends them and records the outcome with `mark_sent`, `mark_retry` or
`mark_dead`.

Statuses: `pending` (waiting, possibly until `next_attempt_at`), `inflight` (claimed by a worker
until `next_attempt_at`, its lease), `sent`, `dead` (Port refused it; see `last_error`) and
`superseded` (a newer change of the same entity made it pointless).

Per entity, only the newest change is ever claimed, and never while an older one is in flight,
so Port sees an entity's changes in order and stale versions are not sent at all.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from ..catalog.engine import in_chunks

STATUSES = ("pending", "inflight", "sent", "dead", "superseded")
# Rows a newer change makes pointless; inflight rows are left to the worker holding them.
SUPERSEDABLE = ("pending", "dead")


def utcnow() -> datetime:
    """Naive UTC now: the outbox stores naive UTC timestamps on every backend."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Change:
    """One entity change to forward: an upsert of `entity`, or a delete of the identifier."""

    blueprint: str
    identifier: str
    operation: str
    entity: dict | None = None
    delete_dependents: bool = False

    @classmethod
    def upsert(cls, blueprint: str, entity: dict) -> "Change":
        """An upsert of `entity` (a dict with at least `identifier`) into `blueprint`."""
        return cls(blueprint, entity["identifier"], "upsert", entity)

    @classmethod
    def delete(cls, blueprint: str, identifier: str, delete_dependents: bool = False) -> "Change":
        """A delete, with the mapping's `deleteDependents`."""
        return cls(blueprint, identifier, "delete", None, bool(delete_dependents))


@dataclass
class Item:
    """A claimed outbox row."""

    id: int
    blueprint: str
    identifier: str
    operation: str
    entity: dict | None
    delete_dependents: bool
    attempts: int


class Outbox:
    """Operations on one outbox table (from `app.catalog.tables.define_outbox_table`)."""

    def __init__(self, table: sa.Table):
        self.table = table

    def enqueue(self, conn: sa.Connection, changes: Iterable[Change]) -> None:
        """Record `changes` (Change objects) inside the caller's transaction."""
        now = utcnow()
        rows = [{"blueprint": c.blueprint, "identifier": c.identifier, "operation": c.operation,
                 "entity": c.entity, "delete_dependents": c.delete_dependents, "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now, "updated_at": now}
                for c in changes]
        if not rows:
            return
        t = self.table
        keys = sorted({(r["blueprint"], r["identifier"]) for r in rows})
        for chunk in in_chunks(keys):
            conn.execute(sa.update(t).where(t.c.status.in_(SUPERSEDABLE),
                                            sa.tuple_(t.c.blueprint, t.c.identifier).in_(chunk))
                         .values(status="superseded", updated_at=now))
        conn.execute(t.insert(), rows)

    def claim_batch(self, engine: sa.Engine, limit: int, lease_seconds: float = 300.0) -> list[Item]:
        """Claim up to `limit` due items, oldest first, leasing them for `lease_seconds`.

        On PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent
        workers never claim the same row; other backends run the single statement as is.
        """
        now = utcnow()
        t = self.table
        candidates = (sa.select(t.c.id).where(self._claimable(now))
                      .order_by(t.c.id).limit(limit).with_for_update(skip_locked=True))
        claim = (sa.update(t).where(t.c.id.in_(candidates.scalar_subquery()))
                 .values(status="inflight", attempts=t.c.attempts + 1, updated_at=now,
                         next_attempt_at=now + timedelta(seconds=lease_seconds))
                 .returning(t.c.id, t.c.blueprint, t.c.identifier, t.c.operation, t.c.entity,
                            t.c.delete_dependents, t.c.attempts))
        with engine.begin() as conn:
            rows = conn.execute(claim).all()
        return sorted((Item(*row) for row in rows), key=lambda item: item.id)

    def _claimable(self, now: datetime) -> sa.ColumnElement[bool]:
        """Due, the newest change of its entity, and no live lease on an older change."""
        t = self.table
        newer = t.alias("newer")
        leased = t.alias("leased")
        return sa.and_(
            t.c.status.in_(("pending", "inflight")),
            t.c.next_attempt_at <= now,
            ~sa.exists().where(same_entity(newer, t), newer.c.id > t.c.id),
            ~sa.exists().where(same_entity(leased, t), leased.c.id != t.c.id,
                               leased.c.status == "inflight", leased.c.next_attempt_at > now),
        )

    def mark_sent(self, conn: sa.Connection, items: list[Item]) -> None:
        """Record successful delivery; older undelivered changes of those entities are obsolete."""
        now = utcnow()
        self._set(conn, items, status="sent", last_error=None, updated_at=now)
        self._supersede_older(conn, items, now)

    def mark_retry(self, conn: sa.Connection, item: Item, delay_seconds: float, error: object) -> None:
        """Put an item back to wait `delay_seconds` after a failure worth retrying."""
        now = utcnow()
        self._set(conn, [item], status="pending", last_error=str(error)[:2000], updated_at=now,
                  next_attempt_at=now + timedelta(seconds=delay_seconds))

    def mark_dead(self, conn: sa.Connection, item: Item, error: object) -> None:
        """Park an item Port refused; it stays until `requeue_dead`."""
        now = utcnow()
        self._set(conn, [item], status="dead", last_error=str(error)[:2000], updated_at=now)
        self._supersede_older(conn, [item], now)

    def release(self, conn: sa.Connection, items: list[Item]) -> None:
        """Hand claimed items back unsent, due now (their attempt does not count)."""
        t = self.table
        self._set(conn, items, status="pending", next_attempt_at=utcnow(), updated_at=utcnow(),
                  attempts=t.c.attempts - 1)

    def requeue_dead(self, conn: sa.Connection) -> int:
        """Make every dead item pending again, due now; returns how many."""
        now = utcnow()
        result = conn.execute(sa.update(self.table).where(self.table.c.status == "dead")
                              .values(status="pending", attempts=0, next_attempt_at=now,
                                      updated_at=now))
        return result.rowcount

    def prune(self, conn: sa.Connection, older_than_seconds: float) -> int:
        """Delete sent and superseded items last touched over `older_than_seconds` ago."""
        t = self.table
        cutoff = utcnow() - timedelta(seconds=older_than_seconds)
        result = conn.execute(sa.delete(t).where(t.c.status.in_(("sent", "superseded")),
                                                 t.c.updated_at < cutoff))
        return result.rowcount

    def count_by_status(self, conn: sa.Connection) -> dict[str, int]:
        """`{status: count}` for every status, zeros included."""
        t = self.table
        counts = dict.fromkeys(STATUSES, 0)
        query = sa.select(t.c.status, sa.func.count()).group_by(t.c.status)
        for status, count in conn.execute(query):
            counts[status] = count
        return counts

    def list_items(self, conn: sa.Connection, status: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[list, int]:
        """`(rows, total)`: a page of items (row mappings), oldest first, optionally by status."""
        t = self.table
        condition = sa.true() if status is None else t.c.status == status
        total = conn.execute(sa.select(sa.func.count()).select_from(t).where(condition)).scalar()
        rows = conn.execute(sa.select(t).where(condition).order_by(t.c.id)
                            .limit(limit).offset(offset)).mappings().all()
        return rows, total

    def _set(self, conn: sa.Connection, items: list[Item], **values) -> None:
        """Update the given items, but only while this worker still holds them."""
        t = self.table
        conn.execute(sa.update(t).where(t.c.id.in_([i.id for i in items]), t.c.status == "inflight")
                     .values(**values))

    def _supersede_older(self, conn: sa.Connection, items: list[Item], now: datetime) -> None:
        """Mark undelivered rows older than `items`, of the same entities, superseded.

        A live lease on such a row cannot exist: claiming skips entities with one, so any
        inflight row here belongs to a worker that died.
        """
        t = self.table
        settled = t.alias("settled")
        conn.execute(sa.update(t).where(
            t.c.status.in_(SUPERSEDABLE + ("inflight",)),
            sa.exists().where(settled.c.id.in_([i.id for i in items]), same_entity(settled, t),
                              settled.c.id > t.c.id),
        ).values(status="superseded", updated_at=now))


def same_entity(other: sa.FromClause, table: sa.FromClause) -> sa.ColumnElement[bool]:
    """Rows of `other` that belong to the same entity as the current row of `table`."""
    return sa.and_(other.c.blueprint == table.c.blueprint, other.c.identifier == table.c.identifier)
