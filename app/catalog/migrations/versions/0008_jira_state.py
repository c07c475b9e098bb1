"""What the service has learned from Jira: custom field ids found by name, the linked-issue refresh's place,
and the index that refresh reads link events by.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jira_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_events_webhook_type", "events", ["webhook", "event_type", "id"])


def downgrade():
    op.drop_index("ix_events_webhook_type", "events")
    op.drop_table("jira_state")
