"""Signed-in UI sessions, kept on the server: the cookie holds a random id, the database its
SHA-256, so that signing out (or a token rotation) ends a session even for a copied cookie."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..catalog.access import delete_session, insert_session, session_exists
from ..catalog.engine import utcnow

LIFETIME = timedelta(hours=12)


def id_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(engine: sa.Engine) -> str:
    """Record a new session lasting LIFETIME; returns its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    insert_session(engine, id_digest(session_id), now, now + LIFETIME)
    return session_id


def session_active(engine: sa.Engine, session_id: str) -> bool:
    """Whether the session was started, has not ended and has not expired."""
    return session_exists(engine, id_digest(session_id), utcnow())


def end_session(engine: sa.Engine, session_id: str) -> None:
    delete_session(engine, id_digest(session_id))
