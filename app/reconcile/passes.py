"""The record of reconcile passes: started, finished with what they found, listed newest first,
summed for the metrics, and read for the drift warning."""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ..catalog.engine import utcnow
from ..catalog.queries import iso
from ..catalog.tables import reconcile_passes

KINDS = ("incremental", "full")
STATUSES = ("running", "succeeded", "failed")
# The drift warning: this many of the latest finished passes each found changes webhooks missed.
DRIFT_PASSES = 3


@dataclass
class Counts:
    """What one pass found: issues (and projects, users) seen in Jira, changed in the catalog,
    deleted, failed to translate or store, and the changes webhooks had not delivered."""

    seen: int = 0
    changed: int = 0
    deleted: int = 0
    failed: int = 0
    missed: int = 0


def start_pass(engine: sa.Engine, kind: str, webhook: str) -> int:
    """Record a pass as running; its id."""
    with engine.begin() as conn:
        return conn.execute(reconcile_passes.insert().values(
            kind=kind, webhook=webhook, started_at=utcnow(), status="running", **asdict(Counts()))
            .returning(reconcile_passes.c.id)).scalar_one()


def finish_pass(engine: sa.Engine, pass_id: int, counts: Counts, watermark: int | None,
                error: str | None = None) -> None:
    """Record the end of a pass: succeeded with its watermark, or failed with its error."""
    with engine.begin() as conn:
        conn.execute(reconcile_passes.update().where(reconcile_passes.c.id == pass_id).values(
            finished_at=utcnow(), status="failed" if error else "succeeded", watermark=watermark,
            error=error, **asdict(counts)))


def last_success(engine: sa.Engine, webhook: str) -> sa.Row | None:
    """The newest successful pass of this configuration (its watermark starts the next pass)."""
    with engine.connect() as conn:
        return conn.execute(sa.select(reconcile_passes).where(
            reconcile_passes.c.webhook == webhook, reconcile_passes.c.status == "succeeded")
            .order_by(reconcile_passes.c.id.desc()).limit(1)).first()


def last_watermark(engine: sa.Engine, webhook: str) -> int | None:
    """The largest `updated` (epoch ms) any successful pass of this configuration saw."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.max(reconcile_passes.c.watermark)).where(
            reconcile_passes.c.webhook == webhook, reconcile_passes.c.status == "succeeded")).scalar()


def pass_view(row: sa.Row) -> dict:
    """A pass as the API and the UI show it."""
    return {"id": row.id, "kind": row.kind, "webhook": row.webhook, "status": row.status,
            "startedAt": iso(row.started_at), "finishedAt": iso(row.finished_at), "seen": row.seen,
            "changed": row.changed, "deleted": row.deleted, "failed": row.failed,
            "missedByWebhooks": row.missed, "error": row.error}


def list_passes(engine: sa.Engine, limit: int, offset: int = 0) -> tuple[list[dict], int]:
    """Passes newest first, one page, and how many there are."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(reconcile_passes).order_by(reconcile_passes.c.id.desc())
                            .limit(limit).offset(offset)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(reconcile_passes)).scalar_one()
    return [pass_view(row) for row in rows], total


def webhooks_missing_changes(engine: sa.Engine) -> bool:
    """Whether each of the latest DRIFT_PASSES finished passes found changes webhooks had missed:
    webhooks are failing, or their filter leaves changes out."""
    with engine.connect() as conn:
        missed = conn.execute(sa.select(reconcile_passes.c.missed).where(
            reconcile_passes.c.status == "succeeded").order_by(reconcile_passes.c.id.desc())
            .limit(DRIFT_PASSES)).scalars().all()
    return len(missed) == DRIFT_PASSES and all(count > 0 for count in missed)


def metric_totals(engine: sa.Engine) -> dict:
    """What the bridge_reconcile_* metrics report, summed in the database so that every process
    reports the same: passes by (kind, status), changed and missed by kind, the last success by kind
    (epoch seconds)."""
    table = reconcile_passes.c
    with engine.connect() as conn:
        passes = conn.execute(sa.select(table.kind, table.status, sa.func.count())
                              .group_by(table.kind, table.status)).all()
        sums = conn.execute(sa.select(table.kind, sa.func.sum(table.changed), sa.func.sum(table.missed),
                                      sa.func.max(table.finished_at)).where(table.status == "succeeded")
                            .group_by(table.kind)).all()
    return {"passes": {(kind, status): count for kind, status, count in passes},
            "changed": {kind: int(changed or 0) for kind, changed, _missed, _last in sums},
            "missed": {kind: int(missed or 0) for kind, _changed, missed, _last in sums},
            "last_success": {kind: epoch_seconds(last) for kind, _changed, _missed, last in sums if last}}


def epoch_seconds(moment: datetime) -> float:
    """An aware or (SQLite's) naive UTC datetime as epoch seconds."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
