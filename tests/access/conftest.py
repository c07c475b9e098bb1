"""The access tests' database: a migrated schema on each backend, without an app."""

import pytest

from app.catalog.engine import open_engine
from app.catalog.store import Store


@pytest.fixture
def engine(database_url):
    """A migrated database (once per backend) and its engine."""
    store = Store(open_engine(database_url))
    store.create_schema()
    yield store.engine
    store.close()
