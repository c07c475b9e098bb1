"""Event body digests (duplicates under a new delivery id), UI sessions and failed token attempts.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # A column and a unique index, not a constraint: SQLite would rebuild the table for a
    # constraint, and the rebuild loses its AUTOINCREMENT (event ids must never be reused).
    op.add_column("events", sa.Column("body_digest", sa.String(64)))
    op.create_index("uq_events_body", "events", ["webhook", "body_digest"], unique=True)
    op.create_table(
        "ui_sessions",
        sa.Column("id_digest", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"])
    op.create_table(
        "auth_failures",
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False))


def downgrade():
    op.drop_table("auth_failures")
    op.drop_index("ix_ui_sessions_expires_at", table_name="ui_sessions")
    op.drop_table("ui_sessions")
    op.drop_index("uq_events_body", table_name="events")
    with op.batch_alter_table("events", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("body_digest")
