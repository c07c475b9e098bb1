"""UI sessions on the server: started, ended, expired, and expired rows deleted at the next start."""

from datetime import timedelta

import sqlalchemy as sa

from app.access.sessions import LIFETIME, end_session, id_digest, session_active, start_session
from app.catalog.engine import utcnow
from app.catalog.tables import ui_sessions


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(ui_sessions)).all()


def test_a_started_session_is_active_until_it_ends(engine):
    session_id = start_session(engine)
    [row] = rows(engine)
    assert row.id_digest == id_digest(session_id) and session_id not in row.id_digest
    assert session_active(engine, session_id) and not session_active(engine, "forged")

    end_session(engine, session_id)

    assert not session_active(engine, session_id) and rows(engine) == []


def test_a_session_expires_after_its_lifetime_and_its_row_goes_at_the_next_start(engine):
    expired = start_session(engine)
    with engine.begin() as conn:
        conn.execute(ui_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    assert not session_active(engine, expired)

    fresh = start_session(engine)

    [row] = rows(engine)
    assert row.id_digest == id_digest(fresh)
    assert abs((row.expires_at - row.created_at) - LIFETIME) < timedelta(seconds=1)
