"""What calculation properties cost on read: a page of 1000 jiraIssue entities with and without them.

    python3 bench/calculations.py

Both variants run in this one process against the same SQLite catalog, interleaved, so the ratio holds on
a noisy machine. Prints one result line.
"""

import copy
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.catalog import queries  # noqa: E402
from app.catalog.store import IncomingEvent  # noqa: E402
from app.mapping.translate import build_jq_input, translate  # noqa: E402
from app.runtime import runtime_of
from tests.support.seed_ocean import catalog_event, seed_ocean  # noqa: E402

ENTITIES = 1000
ROUNDS = 7


def translations(runtime):
    """The translations of ENTITIES resolved issues, through the jira-catalog mapping."""
    config = runtime.configs["jira-catalog"]
    base = seed_ocean("issue-response.json")
    for n in range(ENTITIES):
        issue = copy.deepcopy(base)
        issue["key"] = f"PA-{n}"
        issue["fields"]["resolutiondate"] = "2023-11-08T23:02:59.000+0000"
        translation = translate(config, build_jq_input(catalog_event("issue", issue), {}, {}))
        yield translation


def timed(read):
    start = time.perf_counter()
    read()
    return time.perf_counter() - start


def main():
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{os.path.join(folder, 'bench.sqlite3')}",
                      "SQLITE_SYNCHRONOUS": "NORMAL"})
    runtime = runtime_of(app)
    for n, translation in enumerate(translations(runtime)):
        runtime.store.ingest(IncomingEvent("bench", "{}", {}, {}, f"d{n}"), translation)
    engine, blueprints = runtime.store.engine, runtime.blueprints
    plain, calculated = [], []
    for _ in range(ROUNDS):
        plain.append(timed(lambda: queries.list_entities(engine, "jiraIssue", ENTITIES, 0)))
        calculated.append(timed(lambda: queries.list_entities(engine, "jiraIssue", ENTITIES, 0,
                                                               blueprints)))
    best_plain, best_calc = min(plain), min(calculated)
    per_entity_us = (best_calc - best_plain) / ENTITIES * 1e6
    print(f"calculations: list of {ENTITIES} jiraIssue plain={best_plain * 1000:.1f}ms "
          f"with handlingDuration={best_calc * 1000:.1f}ms ratio={best_calc / best_plain:.2f} "
          f"cost={per_entity_us:.1f}us/entity")


if __name__ == "__main__":
    main()
