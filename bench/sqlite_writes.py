"""What SQLite itself charges per event: the catalog's writes against the floor's single INSERT.

    python3 bench/sqlite_writes.py [--events 1500] [--runs 5] [--synchronous FULL]

No Python above the driver: plain sqlite3, the statements the app runs (app/catalog/statements.py) on the
app's schema, values ready-made. Per event, *catalog* inserts the event row (four indexes), upserts the
entity and links the two, as `store.ingest` does; *floor* inserts the body into a table with no
index, as bench/floor_app.py does. Each is timed one event per transaction, and four per transaction
as group commit shares a commit. Rounds alternate the two, so the machine's noise hits both alike.
"""

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from common import ROOT, result_line, summarise

from app.catalog import statements
from app.catalog.engine import create_db_engine
from app.catalog.store import Store

BODY = (ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text()
NOW = "2026-01-01 00:00:00.000000"


def open_database(folder, synchronous):
    """A connection to a new file holding the app's schema and the floor's table."""
    path = Path(folder) / "writes.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}", synchronous)
    Store(engine).create_schema()
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE floor_events (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return conn


def catalog_sql():
    """The app's three statements for a new event, as SQLite text."""
    dialect = create_db_engine("sqlite://").dialect
    return tuple(statements.compile_for(statement, dialect).sql for statement in (
        statements.event_insert("sqlite"), statements.entity_upsert("sqlite", False),
        statements.event_link_insert()))


def write_catalog(cursor, sql, n):
    event_sql, upsert_sql, link_sql = sql
    entities = '[{"blueprint":"jiraIssue","identifier":"PI-1","operation":"upsert","result":"applied"}]'
    cursor.execute(event_sql, (NOW, "jira", f"delivery-{n}", "jira:issue_updated",
                               '{"content-type":"application/json"}', "{}", BODY, n, "applied",
                               None, None, entities, NOW, f"{n:064x}"))
    event_id = cursor.fetchone()[0]
    properties = json.dumps({"summary": "Migrate Infra to Cloud", "status": "To Do"})
    cursor.execute(upsert_sql, ("jiraIssue", f"PI-{n % 2000}", "PI - Migrate", None, None,
                                properties, "{}", n, False, NOW, NOW, event_id))
    cursor.fetchone()
    cursor.execute(link_sql, (event_id, 0, "jiraIssue", f"PI-{n % 2000}", "upsert", "applied"))


def write_floor(cursor, _sql, _n):
    cursor.execute("INSERT INTO floor_events (body) VALUES (?)", (BODY,))


def time_per_event(conn, write, sql, events, batch, counter):
    """Microseconds per event, `batch` events per transaction."""
    cursor = conn.cursor()
    started = time.perf_counter()
    for _ in range(events // batch):
        cursor.execute("BEGIN IMMEDIATE")
        for _ in range(batch):
            counter[0] += 1
            write(cursor, sql, counter[0])
        cursor.execute("COMMIT")
    return (time.perf_counter() - started) / (events // batch * batch) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synchronous", choices=["FULL", "NORMAL"], default="FULL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as folder:
        conn, sql, counter = open_database(folder, args.synchronous), catalog_sql(), [0]
        for batch in (1, 4):
            times = {"catalog": [], "floor": []}
            for _ in range(args.runs):
                for name, write in (("catalog", write_catalog), ("floor", write_floor)):
                    times[name].append(time_per_event(conn, write, sql, args.events, batch, counter))
            ratios = [c / f for c, f in zip(times["catalog"], times["floor"])]
            for name in ("catalog", "floor"):
                print(result_line(f"sqlite_writes.{args.synchronous.lower()}.batch{batch}.{name}",
                                  summarise(times[name]), "us/event"))
            print(result_line(f"sqlite_writes.{args.synchronous.lower()}.batch{batch}.catalog_vs_floor",
                              summarise(ratios), "ratio"))
        conn.close()


if __name__ == "__main__":
    main()
