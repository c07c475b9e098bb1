"""Searching 100,000 entities: a selective rule in SQL against a full Python scan, and paging.

    python3 bench/search.py [--entities 100000] [--runs 15]
    python3 bench/search.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

A fresh catalog (the migrated schema, its indexes included) gets `--entities` jiraIssue entities:
ten statuses (one in 200 entities "Blocked"), five issue types, 200 assignees, 50 projects,
labels. Figures, each the median of `--runs`:
- *selective*: `app.catalog.search.search_page` with `status = Blocked AND issueType = Bug`
  (about 0.1% of the entities), the first page of 200;
- *scan*: the baseline, the same answer by reading every entity of the blueprint into Python and
  testing the rule there (tests/support/search_reference.py, the semantics the tests check);
- *paging*: every entity through pages of 1000 with the cursor, timed per page, so that the
  last pages can be compared with the first (keyset paging: the same cost at any depth).
"""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from common import postgres_schema, result_line, save, summarise

from app.catalog.engine import create_db_engine
from app.catalog.migrate import upgrade_schema
from app.catalog.queries import read_entity
from app.catalog.rules import parse_query
from app.catalog.search import search_page
from app.catalog.tables import entities
from app.mapping.blueprints import load_blueprints
from tests.support.search_reference import matches

BLUEPRINTS = load_blueprints("mappings/blueprints")
STATUSES = ["Open", "In Progress", "Done", "Review", "Backlog", "Testing", "Closed", "Reopened", "Triage"]
TYPES = ["Bug", "Task", "Story", "Epic", "Sub-task"]
SELECTIVE = {"combinator": "and", "rules": [
    {"property": "status", "operator": "=", "value": "Blocked"},
    {"property": "issueType", "operator": "=", "value": "Bug"}]}


def issue_row(n: int, start: datetime) -> dict:
    moment = start + timedelta(seconds=n)
    status = "Blocked" if n % 200 == 0 else STATUSES[n % len(STATUSES)]
    properties = {"status": status, "issueType": TYPES[n % 7 % len(TYPES)], "summary": f"Issue {n}",
                  "priority": ["Low", "Medium", "High"][n % 3], "labels": [f"l{n % 13}", f"l{n % 17}"],
                  "issueUrl": f"https://jira.example/browse/P{n % 50}-{n}"}
    return {"blueprint": "jiraIssue", "identifier": f"P{n % 50}-{n}", "title": f"P{n % 50}-{n} - Issue {n}",
            "icon": None, "team": None, "properties": properties,
            "relations": {"project": f"P{n % 50}", "assignee": f"user-{n % 200}"},
            "version": n, "deleted": False, "created_at": moment, "updated_at": moment, "event_id": None}


def fill(engine: sa.Engine, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for first in range(0, count, 5000):
            conn.execute(entities.insert(), [issue_row(n, start) for n in range(first, min(count, first + 5000))])
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))


def timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return (time.perf_counter() - began) * 1000, result


def python_scan(engine: sa.Engine, query) -> list[str]:
    """The baseline: every entity of the blueprint read and tested in Python."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(entities).where(entities.c.blueprint == "jiraIssue",
                                                      entities.c.deleted.is_(False))
                            .order_by(entities.c.identifier)).all()
    found = []
    for row in rows:
        entity = {"blueprint": row.blueprint, "identifier": row.identifier, "title": row.title,
                  "team": row.team, "properties": row.properties, "relations": row.relations,
                  "created_at": row.created_at, "updated_at": row.updated_at, "deleted": row.deleted}
        if matches(query, entity, [], BLUEPRINTS):
            found.append(read_entity(row, BLUEPRINTS))
    return [e["identifier"] for e in found[:200]]


def page_through(engine: sa.Engine, query) -> tuple[list[float], int]:
    times, cursor, seen = [], None, 0
    while True:
        elapsed, page = timed(lambda c=cursor: search_page(engine, BLUEPRINTS, query, "jiraIssue", 1000, c))
        times.append(elapsed)
        seen += len(page.rows)
        if page.next is None:
            return times, seen
        cursor = page.next


def measure(url: str, count: int, runs: int, label: str) -> dict:
    engine = create_db_engine(url)
    upgrade_schema(engine)
    fill(engine, count)
    query = parse_query(SELECTIVE, BLUEPRINTS)
    everything = parse_query({"combinator": "and", "rules": []}, BLUEPRINTS)
    selective, scan = [], []
    for _ in range(runs):
        elapsed, page = timed(lambda: search_page(engine, BLUEPRINTS, query, "jiraIssue", 200))
        selective.append(elapsed)
    for _ in range(max(3, runs // 5)):
        elapsed, scanned = timed(lambda: python_scan(engine, query))
        scan.append(elapsed)
    assert [r.identifier for r in page.rows] == scanned, "the engine and the scan disagree"
    pages, seen = page_through(engine, everything)
    assert seen == count, (seen, count)
    tenth = max(1, len(pages) // 10)
    figures = {"database": label, "entities": count, "matches": len(page.rows),
               "selective_ms": summarise(selective), "scan_ms": summarise(scan),
               "paging_total_ms": sum(pages), "pages": len(pages),
               "first_pages_ms": statistics.median(pages[:tenth]),
               "last_pages_ms": statistics.median(pages[-tenth:])}
    engine.dispose()
    return figures


def report(figures: dict) -> None:
    name = f"search_{figures['database']}"
    print(result_line(f"{name}_selective", figures["selective_ms"], "ms", matches=figures["matches"],
                      entities=figures["entities"]))
    print(result_line(f"{name}_python_scan", figures["scan_ms"], "ms",
                      ratio=figures["scan_ms"]["median"] / figures["selective_ms"]["median"]))
    print(f"RESULT {name}_paging total_ms={figures['paging_total_ms']:.0f} pages={figures['pages']} "
          f"first_tenth_page_ms={figures['first_pages_ms']:.1f} last_tenth_page_ms={figures['last_pages_ms']:.1f} "
          f"last_over_first={figures['last_pages_ms'] / figures['first_pages_ms']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema is used); SQLite by default")
    args = parser.parse_args()
    if args.database_url:
        with postgres_schema(args.database_url, "search") as url:
            figures = measure(url, args.entities, args.runs, "postgresql")
    else:
        with tempfile.TemporaryDirectory() as folder:
            figures = measure(f"sqlite:///{folder}/search.sqlite3", args.entities, args.runs, "sqlite")
    report(figures)
    save(f"search_{figures['database']}", figures)


if __name__ == "__main__":
    main()
