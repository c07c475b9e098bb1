"""Versioned schema upgrades (Alembic), safe to start from several processes at once."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"
# An arbitrary constant naming our advisory lock among the database's others.
PG_LOCK_KEY = 7_304_411


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@contextmanager
def migration_lock(engine: sa.Engine) -> Iterator[None]:
    """Serialise upgrades: a PostgreSQL advisory lock, or a lock file beside the SQLite file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revisions_between(start: str | None, head: str | None) -> list[str]:
    """The revisions after `start` up to `head`, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.iterate_revisions(head, start)))]


def upgrade_schema(engine: sa.Engine) -> list[str]:
    """Bring the database to the newest schema revision; the revisions this call applied, oldest
    first (none when it was there already, or another process upgraded it meanwhile)."""
    head = head_revision()
    if current_revision(engine) == head:
        return []
    config = alembic_config()
    with migration_lock(engine):
        with engine.begin() as conn:
            applied = revisions_between(MigrationContext.configure(conn).get_current_revision(),
                                        head)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    return applied
