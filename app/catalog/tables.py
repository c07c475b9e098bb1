"""The catalog's tables, in SQLAlchemy Core, shared by SQLite and PostgreSQL."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def define_outbox_table(metadata: sa.MetaData, name: str = "outbox") -> sa.Table:
    """Add an outbox table (and its indexes) to `metadata` and return it."""
    return sa.Table(
        name, metadata,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("blueprint", sa.String(255), nullable=False),
        sa.Column("identifier", sa.String(1000), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("entity", sa.JSON, nullable=True),
        sa.Column("delete_dependents", sa.Boolean, nullable=False, default=False),
        sa.Column("status", sa.String(16), nullable=False, default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Index(f"ix_{name}_due", "status", "next_attempt_at"),
        sa.Index(f"ix_{name}_entity", "blueprint", "identifier", "id"),
    )


def as_jsonb(column: sa.ColumnElement) -> sa.ColumnElement:
    """A `json` column as `jsonb`, which cannot hold the NUL character the `json` text may escape
    (`\\u0000`, from a webhook's body): the escape is read as U+FFFD, as text columns store NUL, so
    the cast never fails. Search conditions and the GIN index share this one expression."""
    text = sa.func.replace(sa.cast(column, sa.Text), sa.literal_column(r"'\u0000'"),
                           sa.literal_column(r"'\ufffd'"))
    return sa.cast(text, JSONB)


entities = sa.Table(
    "entities", metadata,
    sa.Column("blueprint", sa.String(255), primary_key=True),
    sa.Column("identifier", sa.String(1000), primary_key=True),
    sa.Column("title", sa.Text),
    sa.Column("icon", sa.String(255)),
    sa.Column("team", sa.JSON),
    sa.Column("properties", sa.JSON, nullable=False),
    sa.Column("relations", sa.JSON, nullable=False),
    # The source version (epoch ms) of the state stored here; older events never overwrite it.
    sa.Column("version", sa.BigInteger),
    # A deleted entity stays as a tombstone so that a late, older update cannot resurrect it.
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_id", sa.BigInteger),
)
# Serves `=` on any property in searches (app.catalog.search_sql renders it as `@>`); SQLite's
# expression indexes on chosen properties live in migration 0007 only, as SQLite cannot reflect them.
entities.append_constraint(sa.Index("ix_entities_properties_gin", as_jsonb(entities.c.properties),
                                    postgresql_using="gin").ddl_if(dialect="postgresql"))

events = sa.Table(
    "events", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("webhook", sa.String(255), nullable=False, index=True),
    sa.Column("delivery_id", sa.String(255)),
    sa.Column("event_type", sa.String(255)),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("query", sa.JSON, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("version", sa.BigInteger),
    sa.Column("status", sa.String(20), nullable=False, index=True),
    sa.Column("reason", sa.String(64)),
    sa.Column("detail", sa.JSON),
    sa.Column("entities", sa.JSON, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True)),
    # SHA-256 of the raw body: the same body under another delivery id is a duplicate too
    # (Jira does not sign the delivery id header, so a captured body could be replayed under a new one).
    sa.Column("body_digest", sa.String(64)),
    sa.UniqueConstraint("webhook", "delivery_id", name="uq_events_delivery"),
    sa.Index("uq_events_body", "webhook", "body_digest", unique=True),
    # The linked-issue refresh reads one webhook's link events after an id, every few seconds.
    sa.Index("ix_events_webhook_type", "webhook", "event_type", "id"),
    # Ids are never reused on SQLite, even after retention has deleted every event.
    sqlite_autoincrement=True,
)

# Which events touched which entity: an entity's history, and what replay and retention walk.
event_entities = sa.Table(
    "event_entities", metadata,
    sa.Column("event_id", sa.BigInteger, sa.ForeignKey("events.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("blueprint", sa.String(255), nullable=False),
    sa.Column("identifier", sa.String(1000), nullable=False),
    sa.Column("operation", sa.String(10), nullable=False),
    sa.Column("result", sa.String(10), nullable=False),
    sa.Index("ix_event_entities_entity", "blueprint", "identifier"),
)

# Entity changes waiting to be forwarded to Port (see app.port.outbox).
outbox = define_outbox_table(metadata)

# Random keys the service generates once and every worker and instance then shares
# (the web UI's session key when neither SECRET_KEY nor CATALOG_API_TOKEN is set).
service_keys = sa.Table(
    "service_keys", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(255), nullable=False),
)

# Signed-in UI sessions, so that logging out ends a session on the server (a copied cookie stops working).
ui_sessions = sa.Table(
    "ui_sessions", metadata,
    # SHA-256 of the session's random id; the cookie holds the id itself.
    sa.Column("id_digest", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

# Failed token attempts per client address and time window, shared by every worker and instance.
auth_failures = sa.Table(
    "auth_failures", metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("window_start", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
)

# Webhook deliveries refused before they became events (a wrong secret, a body that is not JSON):
# one counter row per webhook and reason, never the bodies, so that a flood cannot fill the database.
webhook_refusals = sa.Table(
    "webhook_refusals", metadata,
    sa.Column("webhook", sa.String(255), primary_key=True),
    sa.Column("reason", sa.String(64), primary_key=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
)

# Reconcile passes (app.reconcile): what each pass found in Jira that the catalog lacked. The newest
# successful pass's `watermark` (the largest `updated` Jira showed it, epoch ms) is where the next
# incremental pass starts.
reconcile_passes = sa.Table(
    "reconcile_passes", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("webhook", sa.String(255), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("seen", sa.Integer, nullable=False, default=0),
    sa.Column("changed", sa.Integer, nullable=False, default=0),
    sa.Column("deleted", sa.Integer, nullable=False, default=0),
    sa.Column("failed", sa.Integer, nullable=False, default=0),
    # Changes found that webhooks had not delivered (none on the first pass, which imports).
    sa.Column("missed", sa.Integer, nullable=False, default=0),
    sa.Column("watermark", sa.BigInteger),
    sa.Column("error", sa.Text),
)

# What the service has learned from Jira: the ids of the custom fields found by name
# (app.jira.fields), and how far the linked-issue refresh has read the event log (app.reconcile.links).
jira_state = sa.Table(
    "jira_state", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
