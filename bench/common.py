"""Shared by the benchmarks: statistics over repeated runs, result lines, JSON results."""

import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


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
