"""In-process translation of the seed's payload with the seed's mapping, four ways, one run.

    python3 bench/translate.py [--events 2000] [--runs 7] [--ocean-threads]

- ocean: Port Ocean's way: every expression compiled separately (once), one jq run per expression
  over the parsed document (`input_value`), sequentially (`--ocean-threads` dispatches each run to a
  thread pool as Ocean does, which adds the pool's overhead);
- program: one compiled jq program per mapping over the JSON text (main before the fast path);
- fast: the fast path (plain paths in Python, the rest in one jq program over what it reads);
- json_loads: `json.loads` of the payload, the floor.
Variants are interleaved round by round so that the machine's noise hits them alike.
"""

import argparse
import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor

from common import ROOT, result_line, save, summarise

from app.mapping import load_webhook_configs
from app.translate import build_jq_input, build_jq_input_text, translate

HEADERS = {"content-type": "application/json", "x-atlassian-webhook-identifier": "bench-1"}


def load_seed():
    body = (ROOT / "tests" / "fixtures" / "jira-payloads" / "seed-issue-created.json").read_text()
    config = load_webhook_configs(ROOT / "mappings", {"JIRA_WEBHOOK_SECRET": "bench"})["jira"]
    return body, config


def ocean_style(config, pool):
    """One jq run per expression, filter first, as Ocean's JQEntityProcessor evaluates them."""
    def run(program, document):
        return program.input_value(document).first()

    def evaluate(document):
        entities = []
        for mapping in config.mappings:
            programs = mapping.field_programs
            if run(programs["filter"], document) is not True:
                continue
            names = [n for n in programs if n != "filter"]
            if pool is None:
                values = [run(programs[n], document) for n in names]
            else:
                values = list(pool.map(lambda n: run(programs[n], document), names))
            entities.append(dict(zip(names, values)))
        return entities
    return evaluate


def variants(body, config, pool):
    """name -> callable translating the seed payload once."""
    document = build_jq_input(json.loads(body), HEADERS, {})
    text = build_jq_input_text(body, HEADERS, {})
    without_fast = dataclasses.replace(config, mappings=tuple(
        dataclasses.replace(m, fast=None) for m in config.mappings))
    ocean = ocean_style(config, pool)
    return {"ocean": lambda: ocean(document), "program": lambda: translate(without_fast, text),
            "fast": lambda: translate(config, document), "json_loads": lambda: json.loads(body)}


def check_same_entities(body, config):
    """The fast path and the full program must produce the same entity, or the figures mean nothing."""
    document = build_jq_input(json.loads(body), HEADERS, {})
    fast = translate(config, document).changes
    slow = translate(dataclasses.replace(config, mappings=tuple(
        dataclasses.replace(m, fast=None) for m in config.mappings)),
        build_jq_input_text(body, HEADERS, {})).changes
    assert fast == slow and len(fast) == 1, (fast, slow)


def measure(functions, events, runs):
    """Per-event microseconds of each variant, `runs` interleaved rounds of `events` calls."""
    samples = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            started = time.perf_counter()
            for _ in range(events):
                function()
            samples[name].append((time.perf_counter() - started) / events * 1e6)
    return {name: summarise(values) for name, values in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ocean-threads", action="store_true")
    args = parser.parse_args()
    body, config = load_seed()
    check_same_entities(body, config)
    pool = ThreadPoolExecutor(max_workers=4) if args.ocean_threads else None
    figures = measure(variants(body, config, pool), args.events, args.runs)
    fast = figures["fast"]["median"]
    for name, summary in figures.items():
        print(result_line(f"translate.{name}", summary, "us/event",
                          x_fast=summary["median"] / fast), flush=True)
    save("translate", {"events": args.events, "ocean_threads": args.ocean_threads,
                       "figures": figures})


if __name__ == "__main__":
    main()
