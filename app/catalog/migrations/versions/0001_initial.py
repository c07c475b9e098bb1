"""The catalog's first schema: entities, the event log and event-entity links.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "entities",
        sa.Column("blueprint", sa.String(255), primary_key=True),
        sa.Column("identifier", sa.String(1000), primary_key=True),
        sa.Column("title", sa.Text), sa.Column("icon", sa.String(255)), sa.Column("team", sa.JSON),
        sa.Column("properties", sa.JSON, nullable=False),
        sa.Column("relations", sa.JSON, nullable=False),
        sa.Column("version", sa.BigInteger),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.BigInteger))
    op.create_table(
        "events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("webhook", sa.String(255), nullable=False, index=True),
        sa.Column("delivery_id", sa.String(255)), sa.Column("event_type", sa.String(255)),
        sa.Column("headers", sa.JSON, nullable=False), sa.Column("query", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False), sa.Column("version", sa.BigInteger),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("reason", sa.String(64)), sa.Column("detail", sa.JSON),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("webhook", "delivery_id", name="uq_events_delivery"),
        sqlite_autoincrement=True)
    op.create_table(
        "event_entities",
        sa.Column("event_id", sa.BigInteger, sa.ForeignKey("events.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("blueprint", sa.String(255), nullable=False),
        sa.Column("identifier", sa.String(1000), nullable=False),
        sa.Column("operation", sa.String(10), nullable=False),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Index("ix_event_entities_entity", "blueprint", "identifier"))


def downgrade():
    op.drop_table("event_entities")
    op.drop_table("events")
    op.drop_table("entities")
