"""Entities per second delivered from the outbox to a fake Port, bulk versus one by one.

Run from the repository root:

    python -m bench.port_delivery [--entities 600] [--latency-ms 20] [--database-url URL]
                                  [--results bench/PORT_RESULTS.md]  (appends a section)

Both modes run in the same process against the same fake Port (real HTTP on 127.0.0.1, with the
given latency added to every request), each on a fresh outbox holding the same entities.
"""

import argparse
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa

from app.catalog.engine import create_db_engine
from app.catalog.tables import define_outbox_table
from app.config import PortSettings
from app.port.client import PortClient
from app.port.delivery import deliver_once
from app.port.outbox import Change, Outbox
from tests.support.fake_port import FakePort
from tests.support.helpers import load_fixture
from tests.support.port_helpers import shipped_blueprint


def make_entities(count):
    """`count` copies of the seed's expected entity with distinct identifiers and summaries."""
    seed = load_fixture("seed-issue-created.expected-entity.json")
    return [{**seed, "identifier": f"PI-{n}", "title": f"PI-{n} - {seed['properties']['summary']}",
             "properties": {**seed["properties"], "summary": f"change {n}"}} for n in range(count)]


def fresh_outbox(database_url):
    """An engine configured as the app configures it, and an empty outbox table."""
    engine = create_db_engine(database_url)
    metadata = sa.MetaData()
    outbox = Outbox(define_outbox_table(metadata, name="bench_outbox"))
    metadata.drop_all(engine)
    metadata.create_all(engine)
    return engine, outbox


def run_mode(database_url, fake, entities, settings):
    """Seconds to deliver every entity, and the number of requests it took."""
    engine, outbox = fresh_outbox(database_url)
    with engine.begin() as conn:
        outbox.enqueue(conn, [Change.upsert("jiraIssue", e) for e in entities])
    client = PortClient(fake.base_url, "test-client", "test-secret")
    client.access_token()  # the token fetch is not what is measured
    before = len(fake.requests())
    started = time.perf_counter()
    delivered = 0
    while delivered < len(entities):
        stats = deliver_once(engine, outbox, client, settings)
        if stats.retried or stats.dead or not stats.claimed:
            raise SystemExit(f"delivery failed: {stats}")
        delivered += stats.sent
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, len(fake.requests()) - before


def measure(args):
    """Run one-by-one then bulk; returns {mode: (seconds, requests)}."""
    fake = FakePort().start()
    fake.add_blueprint(shipped_blueprint("jiraIssue"))
    fake.state.latency = args.latency_ms / 1000
    entities = make_entities(args.entities)
    settings = PortSettings()
    try:
        one_by_one = run_mode(args.database_url, fake, entities, replace(settings, bulk=False))
        return {"one-by-one": one_by_one,
                "bulk": run_mode(args.database_url, fake, entities, settings)}
    finally:
        fake.stop()


def report(args, results):
    """The results as a Markdown section."""
    backend = args.database_url.split(":")[0]
    lines = [f"Entities: {args.entities} (the seed's issue entity, distinct identifiers); "
             f"fake Port latency {args.latency_ms} ms per request; outbox on `{backend}`; "
             f"Python {platform.python_version()} on {platform.machine()}.", "",
             "| mode | requests | seconds | entities/s |", "| --- | ---: | ---: | ---: |"]
    rates = {}
    for mode, (seconds, requests) in results.items():
        rates[mode] = args.entities / seconds
        lines.append(f"| {mode} | {requests} | {seconds:.2f} | {rates[mode]:.0f} |")
    lines += ["", f"Bulk is {rates['bulk'] / rates['one-by-one']:.1f}x faster than one by one."]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=600)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--results", type=Path, help="also write the figures to this Markdown file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        args.database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        text = report(args, measure(args))
    print(text)
    if args.results:
        append_results(args.results, argv if argv is not None else sys.argv[1:], text)


def append_results(path, argv, text):
    """Append one run, with its command and date, to a Markdown results file."""
    command = " ".join(["python -m bench.port_delivery", *argv])
    heading = "" if path.exists() else "# Port delivery benchmark\n"
    with path.open("a") as out:
        out.write(f"{heading}\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
                  f"Command: `{command}`\n\n{text}\n")


if __name__ == "__main__":
    main()
