"""Shared by the benchmarks: statistics over repeated runs, result lines, JSON results."""

import json
import os
import statistics
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

from app.config import normalise_database_url  # noqa: E402


def summarise(samples):
    """Median and spread (min, max) of several runs' figures."""
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "runs": len(samples)}


def result_line(name, summary, unit, **extra):
    """`RESULT <name> median=... min=... max=... runs=N unit=...` plus any extra key=value."""
    parts = [f"RESULT {name}"] + [f"{k}={fmt(summary[k])}" for k in ("median", "min", "max")]
    parts += [f"runs={summary['runs']}", f"unit={unit}"]
    parts += [f"{k}={fmt(v)}" for k, v in extra.items()]
    return " ".join(parts)


def fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def save(name, payload):
    """Write this benchmark's figures for bench/run_all to gather."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=1), encoding="utf-8")


def cpu_count():
    return os.cpu_count() or 1


@contextmanager
def postgres_schema(postgres_url, prefix="bench"):
    """`postgres_url` with its search_path on a new, empty schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(normalise_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
