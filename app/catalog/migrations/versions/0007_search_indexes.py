"""Indexes for searching entities by property (app.catalog.search_sql).

PostgreSQL: a GIN index on the properties as jsonb (app.catalog.tables.as_jsonb), which serves the `@>` that
`=` on a property becomes, for any property. SQLite has no such index; it gets expression indexes
on the Jira properties the UI filters by, matching the `json_extract(properties, '$."<name>"')`
the search renders.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_PROPERTIES = ("status", "issueType", "priority")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_entities_properties_gin ON entities USING gin "
                   "((CAST(replace(CAST(properties AS TEXT), '\\u0000', '\\ufffd') AS JSONB)))")
        return
    for name in SQLITE_PROPERTIES:
        op.execute(f"CREATE INDEX ix_entities_property_{name} ON entities "
                   f"(blueprint, json_extract(properties, '$.\"{name}\"'))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_entities_properties_gin")
        return
    for name in SQLITE_PROPERTIES:
        op.execute(f"DROP INDEX ix_entities_property_{name}")
