"""Keys shared by every worker, on each database."""

import sqlalchemy as sa

from app.store import Store


def test_a_shared_key_is_made_once_and_then_read_by_every_store(engine):
    first = Store(engine).shared_key("ui_session_key")
    other = Store(sa.create_engine(engine.url))
    assert len(first) >= 32 and other.shared_key("ui_session_key") == first
    assert Store(engine).shared_key("another") != first
    other.engine.dispose()
