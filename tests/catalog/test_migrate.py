"""Versioned schema: the migrations build exactly the tables the code declares."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.catalog.engine import create_db_engine
from app.catalog.migrate import current_revision, head_revision, upgrade_schema
from app.catalog.tables import metadata
from app.runtime import runtime_of
from tests.support.helpers import REVISIONS, run_in_threads
from tests.support.served import procfile_command


def test_migrations_match_the_declared_schema(database_url):
    engine = create_db_engine(database_url)
    upgrade_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_concurrent_upgrades_do_not_collide(database_url):
    errors = []

    def upgrade():
        engine = create_db_engine(database_url)
        try:
            upgrade_schema(engine)
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(exc)
        engine.dispose()

    run_in_threads(upgrade, 4)
    assert errors == []


def test_release_phase_upgrades_the_schema(app):
    assert procfile_command("release") == "flask --app app upgrade-db"
    result = app.test_cli_runner().invoke(args=["upgrade-db"])
    assert result.output.endswith(f": applied schema revisions {', '.join(REVISIONS)}\n")
    assert current_revision(runtime_of(app).store.engine) == head_revision() == REVISIONS[-1]
