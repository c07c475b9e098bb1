"""The outbox of entity changes waiting to be forwarded to Port.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("blueprint", sa.String(255), nullable=False),
        sa.Column("identifier", sa.String(1000), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("entity", sa.JSON),
        sa.Column("delete_dependents", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_entity", "blueprint", "identifier", "id"))


def downgrade():
    op.drop_table("outbox")
