"""FHIR benchmark: latency of a Bundle page of 100 HealthcareService.

    .venv/bin/python -m benchmarks.fhir --sizes 10000

Uses the directory of ``benchmarks.search`` (generated once, cached in
``benchmarks/.data``, SQLite) and times, in process through Flask's test client
(routing, queries, mapping, JSON; no network), every page of four walks: plain
pages with the worker's cache of entry shapes empty, then again with the shapes
cached, pages with ``_include`` (providedBy, endpoint, location) and a full
``_lastUpdated`` sync. Results go to ``benchmarks/results/fhir.json``.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.search import RESULTS, app_for, machine, percentile, prepare

WALKS = {
    "page": "/fhir/HealthcareService?_count=100",
    "page+includes": (
        "/fhir/HealthcareService?_count=100&_include=HealthcareService:providedBy"
        "&_include=HealthcareService:endpoint&_include=HealthcareService:location"
    ),
    "sync": "/fhir/HealthcareService?_count=100&_lastUpdated=ge2000-01-01",
}


def walk(client, url: str) -> tuple[list[float], int]:  # noqa: ANN001
    timings, matches = [], 0
    while url:
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.data[:300]
        bundle = response.get_json()
        matches += sum(1 for e in bundle.get("entry", []) if e["search"]["mode"] == "match")
        url = next((ln["url"] for ln in bundle["link"] if ln["relation"] == "next"), None)
    return timings, matches


def run(size: int) -> dict:
    prepare(size)
    app = app_for(size)
    from ato.web import tune_garbage_collector

    tune_garbage_collector()  # as wsgi.py does in production
    client = app.test_client()
    from ato.directory import public

    walk(client, WALKS["page"])  # warm-up: SQLite pages, reference lists
    public.CACHE.clear()  # the first walk finds the worker's cache of entry shapes empty
    figures = {}
    for label, url in {"page (cache vide)": WALKS["page"], **WALKS}.items():
        timings, matches = walk(client, url)
        figures[label] = {
            "pages": len(timings),
            "services": matches,
            "p50_ms": round(percentile(timings, 0.5), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "max_ms": round(max(timings), 1),
        }
        print(size, label, figures[label], flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000")
    args = parser.parse_args()
    results = {"machine": machine(), "database": "SQLite", "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        results["sizes"][str(size)] = run(size)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fhir.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
