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
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(64)))
        batch.create_unique_constraint("uq_events_body", ["webhook", "body_digest"])
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
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_body", type_="unique")
        batch.drop_column("body_digest")
