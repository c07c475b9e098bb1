"""BENCHMARKS.md from one bench/run_all run: machine, commands, figures beside their baselines."""

import json
import platform
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib import metadata

from common import RESULTS, ROOT

TRANSLATE_TARGET_US = 50
SERVED_TARGET_RATIO, SERVED_TARGET_P99_MS = 0.6, 10
RSS_TARGET_PERCENT = 10
BACKFILL_TARGET_RATIO = 10
BATCH_TARGET_RATIO = 0.25
DATABASE_TITLES = {"sqlite": "SQLite, FULL", "postgres": "PostgreSQL"}


def load(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def spread(summary, digits=1):
    """`median [min–max]` of one figure."""
    return (f"{summary['median']:.{digits}f} [{summary['min']:.{digits}f}–"
            f"{summary['max']:.{digits}f}]")


def verdict(ok):
    return "met" if ok else "**not met**"


def machine(load_before, load_after):
    """Rows describing the machine and the versions measured."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    memory = next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    rows = [("CPU", f"{cpu}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} cores"),
            ("Memory", f"{int(memory) // 1024} MiB"), ("Kernel", platform.release()),
            ("Python", platform.python_version()), ("SQLite", sqlite3.sqlite_version),
            ("PostgreSQL server", postgres_version()), ("wrk", wrk.strip())]
    rows += [(name, metadata.version(name)) for name in
             ("jq", "Flask", "gunicorn", "SQLAlchemy", "psycopg", "prometheus-client")]
    rows.append(("Load average (1 min) before / after",
                 f"{load_before[0]:.2f} / {load_after[0]:.2f} (a shared machine: other work ran too)"))
    return rows


def postgres_version():
    try:
        import sqlalchemy as sa
        from served import POSTGRES_URL
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            return conn.execute(sa.text("SHOW server_version")).scalar()
    except Exception as exc:  # any failure only means the version is unknown
        return f"unavailable ({exc.__class__.__name__})"


def translate_rows():
    data = load("translate")
    if data is None:
        return []
    f = data["figures"]
    fast, ocean, program, floor = (f[k]["median"] for k in ("fast", "ocean", "program", "json_loads"))
    return [
        ("Translation of the seed payload, fast path (µs/event)", f"≤ {TRANSLATE_TARGET_US} µs",
         spread(f["fast"]), f"Ocean-style {spread(f['ocean'], 0)}",
         f"{ocean / fast:.1f}× faster", verdict(fast <= TRANSLATE_TARGET_US)),
        ("… against one jq program per mapping (µs/event)", "", spread(f["fast"]),
         f"program {spread(f['program'])}", f"{program / fast:.1f}× faster", ""),
        ("… against `json.loads` of the payload (µs/event)", "within a few times",
         spread(f["fast"]), f"json.loads {spread(f['json_loads'])}", f"{fast / floor:.2f}× its time",
         verdict(fast / floor <= 5)),
    ]


def served_rows(name, title):
    data = load(name)
    if data is None:
        return [(title, "", "not measured (see below)", "", "", "")]
    (figures,) = data["figures"].values()
    app, noop = figures["app"], figures["noop"]
    ok = (figures["ratio"]["median"] >= SERVED_TARGET_RATIO
          and app["p99_ms"]["median"] < SERVED_TARGET_P99_MS)
    return [(f"{title}: requests/s, p99 ms",
             f"≥ {SERVED_TARGET_RATIO:.0%} of no-op, p99 < {SERVED_TARGET_P99_MS} ms",
             f"{spread(app['rps'], 0)} req/s, p99 {spread(app['p99_ms'])} ms",
             f"no-op {spread(noop['rps'], 0)} req/s, p99 {spread(noop['p99_ms'])} ms",
             f"{spread(figures['ratio'], 2)} of no-op", verdict(ok)),
            *floor_rows(title, figures),
            (f"{title}: events committed", "one per 202",
             f"{figures['events'].get('applied', 0)} applied",
             f"{figures['answered']} answered 202", "", verdict(
                 0 <= figures["events"].get("applied", 0) - figures["answered"] <= 64))]


def floor_rows(title, figures):
    """The durable-write floor beside the app: how far the no-op's ratio is reachable at all."""
    floor = figures.get("floor")
    if floor is None:
        return []
    return [(f"… {title}: the durable-write floor (one INSERT and commit per request)", "",
             f"floor {spread(floor['rps'], 0)} req/s, p99 {spread(floor['p99_ms'])} ms",
             "no-op, as above", f"floor {spread(figures['floor_ratio'], 2)} of no-op; app "
             f"{spread(figures['app_vs_floor'], 2)} of floor", "")]


def sqlite_writes_rows(runs):
    """SQLite's own time per event for the catalog's writes against the floor's one INSERT."""
    run = runs.get("sqlite_writes")
    if run is None:
        return []
    found = dict(re.findall(r"^RESULT sqlite_writes\.\w+\.(batch\d\.\w+) median=([\d.]+)",
                            run["output"], re.M))
    if run["returncode"] or "batch1.catalog" not in found:
        return [("SQLite's own cost per event", "", "see `sqlite_writes` below", "", "",
                 "**failed**")]
    return [(f"SQLite alone, FULL, {label} (µs/event)", "",
             f"catalog's writes {float(found[key + '.catalog']):.0f}",
             f"floor's INSERT {float(found[key + '.floor']):.0f}",
             f"{float(found[key + '.catalog_vs_floor']):.2f}× the floor", "")
            for key, label in (("batch1", "one event per commit"),
                               ("batch4", "four events per commit"))]


def rss_rows():
    data = load("rss")
    if data is None:
        return []
    first, peak = data["checkpoints"][0][1], max(c[1] for c in data["checkpoints"])
    return [(f"Worker RSS over {data['events']:,} events (in-process)", f"flat ±{RSS_TARGET_PERCENT}%",
             f"{first:.1f} → peak {peak:.1f} MiB ({data['growth_percent']:+.1f}%)",
             f"first checkpoint {first:.1f} MiB", f"{data['events'] / data['seconds']:.0f} events/s",
             verdict(abs(data["growth_percent"]) <= RSS_TARGET_PERCENT))]


def backfill_rows(runs):
    """The backfill's rate against the seed loop's (medians of its runs), from its summary line."""
    run = runs.get("backfill")
    if run is None:
        return []
    title, target = "Backfill of 5,000 issues (issues/s)", f"≥ {BACKFILL_TARGET_RATIO}× the seed loop"
    found = re.search(r"^median of (\d+) runs: backfill_history\.py ([\d.]+) issues/s, seed loop "
                      r"([\d.]+) issues/s, ratio ([\d.]+)x \[([\d.]+)–([\d.]+)\]", run["output"], re.M)
    if run["returncode"] or found is None:
        return [(title, target, "see `backfill` below", "", "", "**failed**")]
    runs_count, ours, seed, ratio, low, high = found.groups()
    return [(title, target, f"{float(ours):.0f} (median of {runs_count} runs)",
             f"seed loop {float(seed):.0f}", f"{ratio}× [{low}–{high}]",
             verdict(float(ratio) >= BACKFILL_TARGET_RATIO))]


def batch_rows():
    """A page of events in one request against as many single deliveries (bench/batch.py)."""
    data = load("batch-both") or load("batch-sqlite")
    if data is None:
        return []
    rows = []
    for kind, figures in data["figures"].items():
        for mode in ("sequential", "concurrent"):
            f = figures[mode]
            count, clients = f["events_per_client"], f["clients"]
            who, each = ("one client", "") if clients == 1 else (f"{clients} clients at once", " each")
            rows.append((f"A page of {count} events in one request, served, {DATABASE_TITLES[kind]}, {who} (ms)",
                         "≤ 1/4 of the singles", f"page{each} {spread(f['page_ms'], 0)}",
                         f"{count} single deliveries{each} {spread(f['singles_ms'], 0)}",
                         f"{spread(f['ratio'], 2)} of the singles",
                         verdict(f["ratio"]["median"] <= BATCH_TARGET_RATIO)))
    return rows


def other_rows(runs):
    """Rows pointing at the benchmarks of other parts, when this run performed them."""
    titles = {"port_delivery": "Port delivery rate (bench/port_delivery.py)",
              "slowloris": "/healthz under 100 slow clients (bench/slowloris.py)",
              "slowloris-reconnect": "… the slow clients reconnecting"}
    return [(title, "as its issue asks", f"see `{name}` below", "its own baseline, same run", "",
             "ran" if runs[name]["returncode"] == 0 else "**failed**")
            for name, title in titles.items() if name in runs]


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(runs, with_postgres, load_before, load_after, quick):
    """Write BENCHMARKS.md; returns its path."""
    rows = translate_rows() + served_rows("served-sqlite-full", "Served, SQLite, synchronous=FULL")
    rows += served_rows("served-sqlite-normal", "Served, SQLite, synchronous=NORMAL")
    rows += served_rows("served-sqlite-full-threads1", "Served, SQLite, FULL, one thread per worker")
    rows += served_rows("served-postgres-full", "Served, PostgreSQL")
    rows += sqlite_writes_rows(runs) + rss_rows() + backfill_rows(runs) + batch_rows() + other_rows(runs)
    parts = [HEADER.format(when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                           quick=QUICK if quick else ""),
             "## Machine\n", table(("What", "Value"), machine(load_before, load_after)),
             "\n## Figures against the targets\n",
             table(("Figure", "Target", "Measured: median [min–max]", "Baseline, same run",
                    "Ratio", "Target"), rows),
             "" if with_postgres else "\nPostgreSQL was not reachable: its served figures were skipped.",
             "\n## Commands and raw result lines\n", NOTES]
    for name, run in runs.items():
        lines = [text for text in run["output"].splitlines() if text.startswith("RESULT")] or \
            run["output"].splitlines()[-8:]
        status = "" if run["returncode"] == 0 else f" (exited {run['returncode']})"
        parts.append(f"### {name}{status}\n\n`{run['command']}` ({run['seconds']:.0f} s)\n\n```\n"
                     + "\n".join(lines) + "\n```\n")
    path = ROOT / "BENCHMARKS.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


HEADER = """# Benchmarks

Generated by `bench/run_all` on {when}; every figure below comes from that one run, its baseline
measured beside it on the same machine. Medians of several runs, with the spread [min–max]. The
machine is shared (2 cores; other work may run): compare ratios, not absolute figures.{quick}
"""
QUICK = "\n\n**Quick mode** (`--quick`): short runs that check the harness, not figures to quote."
NOTES = """- `translate`: per-event time of four ways to translate the seed payload, interleaved round by round.
  *ocean* is Port Ocean's evaluation (each expression compiled separately, one jq run per expression,
  sequential: no thread pool, which would only add dispatch cost); *program* is one jq program per
  mapping over the JSON text; *fast* is the shipped fast path; *json_loads* parses the payload.
- `served-*`: wrk, 2 threads, 8 connections, against the app, a no-op Flask app (parses the JSON,
  answers 202) and the durable-write floor (a Flask app that parses the JSON, INSERTs the body into one
  table of the same database and commits before its 202: bench/floor_app.py), under the same gunicorn
  settings, runs alternating: 2 workers of 16 threads (gthread),
  as gunicorn.conf.py ships, no access log; the *one thread per worker* row runs all three with `--threads 1`.
  Requests are signed seed payloads for 2,000 issues with a unique delivery id each (bench/signed.lua);
  after the runs the event log must hold one applied event per 202 (plus at most the requests in flight
  when wrk stopped). `synchronous=FULL` fsyncs the WAL at every commit (survives power loss);
  `NORMAL` survives a crash of the process or the app, not of the machine.
- `sqlite_writes`: plain sqlite3, no Python above the driver: per event, the app's own statements
  (insert the event row, upsert the entity, link them) against the floor's single INSERT of the body,
  one event per transaction and four (as group commit shares a commit), rounds alternating.
- `batch`: a page of 100 events in one request (application/x-ndjson) against the same number of single
  deliveries, served by one gunicorn (2 workers of 16 threads) per database, signed bodies built before
  the clock starts, http.client on keep-alive connections; rounds alternate singles and page; *one
  client*, then 4 clients at once, each with events of its own. Every event must be recorded `applied`.
- `rss`: in-process (no HTTP): parse, translate, `store.ingest` on SQLite (synchronous=NORMAL) and
  metrics for each event, RSS read every 25,000 events; stops at 1,000,000 events or the time limit.
"""
