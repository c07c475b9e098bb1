"""The catalog's tables: an outbox table defined under another name keeps the outbox's indexes."""

import sqlalchemy as sa

from app.catalog.tables import define_outbox_table, outbox


def test_an_outbox_table_under_another_name_has_the_outboxs_columns_and_indexes(sqlite_url):
    metadata = sa.MetaData()
    table = define_outbox_table(metadata, "outbox_copy")
    engine = sa.create_engine(sqlite_url)
    metadata.create_all(engine)
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("outbox_copy")}
    engine.dispose()

    assert table.name == "outbox_copy" and metadata.tables == {"outbox_copy": table}
    assert [c.name for c in table.columns] == [c.name for c in outbox.columns]
    assert indexes == {"ix_outbox_copy_due": ["status", "next_attempt_at"],
                       "ix_outbox_copy_entity": ["blueprint", "identifier", "id"]}
