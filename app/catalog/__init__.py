"""The embedded catalog: entities with newest-wins versions and the event log, on SQLite or PostgreSQL.

`engine` connects; `tables` defines the schema (the Port outbox's table too) and `migrate` with
`migrations/` upgrades it; `store` writes events and entities in group commits, through the SQL of
`statements` under the SQLite `writelock`; `queries` and `relations` read.
"""
