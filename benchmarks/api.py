"""API benchmark: serving pages of recourses, and an incremental sync of 1,000 changes.

    .venv/bin/python -m benchmarks.api --size 10000

Uses the directory of ``size`` services that ``benchmarks.search`` generates
(cached in ``benchmarks/.data``, SQLite), and calls the app in-process through
Flask's test client (the WSGI stack without a socket): what is measured is the
server's time for a page — routing, validation, the queries and the JSON —
not the network. Results go to ``benchmarks/results/`` and are summarised in
``docs/PERFORMANCE.md`` by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import timedelta

from sqlalchemy import event, select, update

from benchmarks.search import RESULTS, app_for, machine, percentile, prepare

PAGE = 100
SYNC_LIMIT = 200
CHANGES = 1000


def _timed_walk(client, url: str, counter: list[int]) -> tuple[list[float], list[int], int]:  # noqa: ANN001
    """Follow ``suivant`` from ``url``: each page's milliseconds and statements, items seen."""
    times, statements, items = [], [], 0
    while url:
        before = counter[0]
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        statements.append(counter[0] - before)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += len(body["donnees"])
        url = body["suivant"]
    return times, statements, items


def _summary(times: list[float]) -> dict:
    return {
        "pages": len(times),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000, help="services in the directory")
    parser.add_argument("--rounds", type=int, default=3, help="walks of the whole listing")
    args = parser.parse_args()

    generation = prepare(args.size)
    app = app_for(args.size)
    from ato.web import tune_garbage_collector

    tune_garbage_collector()  # as wsgi.py does in production
    app.config["ATO_API_RATE_LIMIT"] = "1000000 per minute"
    from ato.core.models import utcnow
    from ato.directory.models import Requis, Service, Statut
    from ato.extensions import db

    counter = [0]
    with app.app_context():
        engine = db.engine
        requis_count = db.session.scalar(
            select(db.func.count()).select_from(Requis).where(Requis.statut == Statut.PUBLIEE)
        )
        services = db.session.scalar(select(db.func.count()).select_from(Service))

    def count(*_args) -> None:  # noqa: ANN002
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    client = app.test_client()
    client.get("/api/v1/recours?limite=1")  # warm up: reference lists, the index
    client.get("/api/v1/recours?q=cardiologie&limite=1")

    results: dict = {
        "machine": machine(),
        "database": "SQLite (file, WAL), in-process test client",
        "size": {"services": services, "requis_publies": requis_count},
        "generation_s": round(generation, 1),
    }
    scenarios = {
        "liste": f"/api/v1/recours?limite={PAGE}",
        "filtre departement=31": f"/api/v1/recours?departement=31&limite={PAGE}",
        "recherche q=cardiologie": f"/api/v1/recours?q=cardiologie&limite={PAGE}",
    }
    from ato.directory import public

    for name, url in scenarios.items():
        # The first walk finds the shapes cache of the worker empty (entries loaded and
        # mapped); the next ones find the entries unchanged since (served from the cache).
        public.CACHE.clear()
        cold, _, items = _timed_walk(client, url, counter)
        warm, statements = [], []
        for _ in range(args.rounds):
            t, s, items = _timed_walk(client, url, counter)
            warm += t
            statements += s
        results[name] = {
            "premier passage (cache vide)": _summary(cold),
            "passages suivants": _summary(warm),
            "items": items,
            "statements_per_page": sorted(set(statements)),
        }
        print(name, results[name], flush=True)

    with app.app_context():  # 1,000 entries change (a public field), then a consumer syncs
        since = utcnow() - timedelta(seconds=1)
        ids = db.session.scalars(
            select(Requis.id)
            .where(Requis.statut == Statut.PUBLIEE)
            .order_by(Requis.id)
            .limit(CHANGES)
        ).all()
        stamp = utcnow().strftime("%H%M%S")
        db.session.execute(
            update(Requis).where(Requis.id.in_(ids)).values(site_web=f"https://exemple.fr/{stamp}")
        )
        db.session.commit()
    started = time.perf_counter()
    moment = since.isoformat().replace("+", "%2B")
    url = f"/api/v1/recours?modifie_depuis={moment}&limite={SYNC_LIMIT}"
    times, statements, items = _timed_walk(client, url, counter)
    results["sync"] = {
        "changes": len(ids),
        "limite": SYNC_LIMIT,
        "requests": len(times),
        "expected_requests": math.ceil(len(ids) / SYNC_LIMIT),
        "items": items,
        "total_ms": round((time.perf_counter() - started) * 1000, 1),
        **_summary(times),
        "statements_per_page": sorted(set(statements)),
    }
    print("sync", results["sync"], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"api-{args.size}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"→ {out}")


if __name__ == "__main__":
    main()
