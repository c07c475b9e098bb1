"""Translation of the seed's payload with the seed's mappings, several ways, one run.

    python3 bench/translate.py [--events 2000] [--runs 7] [--issues 14000] [--ocean-threads]
                               [--baseline-mappings DIR]

Events go through --issues copies of the seed payload, each for another issue (key, summary, self
URL), never repeating one (with the defaults), so the fast path's remembered results help only where
a real stream repeats itself (the few `webhookEvent` values), not by seeing one payload again.

- ocean: Port Ocean's way: every expression compiled separately (once), one jq run per expression
  over the parsed document (`input_value`), sequentially (`--ocean-threads` dispatches each run to a
  thread pool as Ocean does, which adds the pool's overhead);
- program: one compiled jq program per mapping over the JSON text (main before the fast path);
- fast: the fast path (plain paths in Python, the rest in one jq program over what it reads);
- json_loads: `json.loads` of the payload, the floor;
- catalog_fast: the fast path of mappings/jira-catalog.yaml (whose relations need libjq) on the
  same payloads;
- fast_adf: the fast path of the seed's configuration on the same payloads with a version 3
  description (an Atlassian Document Format object), which jq turns into text;
- fast_baseline, catalog_fast_baseline (with --baseline-mappings): the fast path of DIR's
  jira.yaml and jira-catalog.yaml (other versions of the configurations, such as the previous
  commit's) on the seed payloads.
libjq runs where the service runs it, in the sandbox's child processes (app/jq/sandbox.py); each
`*_in_process` variant is the same with libjq evaluated in this process instead (the child's own
evaluation function, called directly), so the ratios `sandbox_cost.*` are what the sandbox costs.
Ocean's way always runs in process. Variants are interleaved round by round so that the machine's
noise hits them alike.
"""

import argparse
import dataclasses
import json
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from common import ROOT, result_line, save, summarise

from app.jq import child, sandbox
from app.mapping.configs import load_webhook_configs
from app.mapping.translate import build_jq_input, build_jq_input_text, translate

HEADERS = {"content-type": "application/json", "x-atlassian-webhook-identifier": "bench-1"}
SANDBOXED = sandbox.run
COMPILED = OrderedDict()


def run_in_process(request):
    """The sandbox's protocol answered in this process, as libjq ran before the sandbox."""
    return [child.evaluate(COMPILED, text, jq_input) for text, jq_input in request]


def evaluate_in(where):
    """Make libjq evaluate in the sandbox or in process until told otherwise."""
    sandbox.run = run_in_process if where == "in_process" else SANDBOXED


def load_seed(issues, adf=False):
    """Payload texts for `issues` different issues (descriptions as ADF documents with `adf`), and
    the seed's configuration."""
    seed = json.loads((ROOT / "tests/fixtures/jira-payloads/seed-issue-created.json").read_text())
    bodies = []
    for i in range(issues):
        seed["issue"].update(key=f"PI-{i + 1}", self=f"https://a{i}.atlassian.net/rest/api/2/{i}")
        seed["issue"]["fields"]["summary"] = f"Issue number {i + 1}"
        if adf:
            seed["issue"]["fields"]["description"] = {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"Issue {i + 1}"}]}]}
        bodies.append(json.dumps(seed))
    configs = load_webhook_configs(ROOT / "mappings", {"JIRA_WEBHOOK_SECRET": "bench"})
    return bodies, configs["jira"], configs["jira-catalog"]


def ocean_style(config, pool):
    """One jq run per expression, filter first, as Ocean's JQEntityProcessor evaluates them."""
    def run(program, document):
        return program.first_of_value(document)

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
                # map() is consumed within this iteration, so the lambda sees this mapping's programs.
                values = list(pool.map(lambda n: run(programs[n], document), names))  # noqa: B023
            entities.append(dict(zip(names, values)))
        return entities
    return evaluate


def without_fast_path(config):
    return dataclasses.replace(config, mappings=tuple(
        dataclasses.replace(m, fast=None) for m in config.mappings))


def variants(bodies, adf_bodies, config, catalog, pool, baseline=None):
    """name -> (function of one input, the inputs it rotates over, where libjq runs)."""
    documents = [build_jq_input(json.loads(body), HEADERS, {}) for body in bodies]
    adf_documents = [build_jq_input(json.loads(body), HEADERS, {}) for body in adf_bodies]
    texts = [build_jq_input_text(body, HEADERS, {}) for body in bodies]
    slow, ocean = without_fast_path(config), ocean_style(config, pool)
    named = {"ocean": (ocean, documents, "in_process")}
    for where, suffix in (("sandbox", ""), ("in_process", "_in_process")):
        named.update({
            f"program{suffix}": (lambda text: translate(slow, text), texts, where),
            f"fast{suffix}": (lambda document: translate(config, document), documents, where),
            f"catalog_fast{suffix}": (lambda document: translate(catalog, document), documents,
                                      where),
            f"fast_adf{suffix}": (lambda document: translate(config, document), adf_documents,
                                  where)})
    if baseline is not None:
        named["fast_baseline"] = (lambda document: translate(baseline[0], document), documents,
                                  "sandbox")
        named["catalog_fast_baseline"] = (lambda document: translate(baseline[1], document),
                                          documents, "sandbox")
    named["json_loads"] = (json.loads, bodies, "in_process")
    return named


def check_same_entities(bodies, config, catalog):
    """The fast path and the full program, in the sandbox and in process, must produce the same
    entities, or the figures mean nothing."""
    for body in bodies[:50]:
        fast = translate(config, build_jq_input(json.loads(body), HEADERS, {})).changes
        slow = translate(without_fast_path(config), build_jq_input_text(body, HEADERS, {})).changes
        assert fast == slow and len(fast) == 1, (fast, slow)
        sandboxed = translate(catalog, build_jq_input(json.loads(body), HEADERS, {})).changes
        evaluate_in("in_process")
        in_process = translate(catalog, build_jq_input(json.loads(body), HEADERS, {})).changes
        evaluate_in("sandbox")
        assert sandboxed == in_process and sandboxed, (sandboxed, in_process)


def measure(functions, events, runs):
    """Per-event microseconds of each variant, `runs` interleaved rounds of `events` calls."""
    samples = {name: [] for name in functions}
    for run in range(runs):
        for name, (function, inputs, where) in functions.items():
            batch = [inputs[(run * events + i) % len(inputs)] for i in range(events)]
            evaluate_in(where)
            started = time.perf_counter()
            for item in batch:
                function(item)
            samples[name].append((time.perf_counter() - started) / events * 1e6)
    return {name: summarise(values) for name, values in samples.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--issues", type=int, default=14000)
    parser.add_argument("--ocean-threads", action="store_true")
    parser.add_argument("--baseline-mappings", help="a mappings folder whose jira.yaml to compare")
    args = parser.parse_args()
    bodies, config, catalog = load_seed(args.issues)
    adf_bodies = load_seed(args.issues, adf=True)[0]
    check_same_entities(bodies, config, catalog)
    check_same_entities(adf_bodies, config, catalog)
    pool = ThreadPoolExecutor(max_workers=4) if args.ocean_threads else None
    baseline = None
    if args.baseline_mappings:
        configs = load_webhook_configs(args.baseline_mappings, {"JIRA_WEBHOOK_SECRET": "bench"})
        baseline = configs["jira"], configs["jira-catalog"]
    figures = measure(variants(bodies, adf_bodies, config, catalog, pool, baseline), args.events,
                      args.runs)
    evaluate_in("sandbox")
    fast = figures["fast"]["median"]
    for name, summary in figures.items():
        print(result_line(f"translate.{name}", summary, "us/event",
                          x_fast=summary["median"] / fast), flush=True)
    for name in ("program", "fast", "catalog_fast", "fast_adf"):
        print(f"RESULT translate.sandbox_cost.{name} ratio="
              f"{figures[name]['median'] / figures[name + '_in_process']['median']:.3f} "
              "unit=sandboxed/in_process", flush=True)
    save("translate", {"events": args.events, "issues": args.issues,
                       "ocean_threads": args.ocean_threads, "figures": figures})


if __name__ == "__main__":
    main()
