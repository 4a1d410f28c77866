"""10,000 links checked against a local server that takes 200 ms per answer, timed.

    .venv/bin/python -m benchmarks.links [--links 10000] [--delay 0.2] [--concurrency 16]

Fills a temporary SQLite database with published entries whose tool links and web sites
make ``--links`` distinct URLs (plus one shared by every entry, checked once), serves them
from a local threaded HTTP server that waits ``--delay`` seconds before each answer, then
runs what ``flask ato liens verifier`` runs — plan, check, record — and times each step.
The local server is reached only because the benchmark sets ``ATO_LINKS_ALLOW_PRIVATE``.
Results go to ``benchmarks/results/links.json`` (and are quoted in docs/PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class SlowHandler(BaseHTTPRequestHandler):
    """Every path answers 200 after the server's delay; counts requests and peak concurrency."""

    server: SlowServer

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:  # noqa: N802
        server = self.server
        with server.lock:
            server.requests += 1
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
        time.sleep(server.delay)
        with server.lock:
            server.in_flight -= 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD  # noqa: N815


class SlowServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), SlowHandler)
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.peak = 0


def fill(links: int, origin: str) -> None:
    """Published coordination devices: each has a web site and one platform link."""
    from sqlalchemy import select

    from ato.core.models import utcnow
    from ato.directory.models import Canal, NatureRequis, Outil, Requis, Service, Specialite
    from ato.extensions import db

    outil = db.session.scalar(select(Outil).where(Outil.slug == "teleo"))
    specialite = db.session.scalar(select(Specialite).where(Specialite.slug == "dermatologie"))
    now = utcnow()
    for i in range(links // 2):
        db.session.add(
            Requis(
                nature=NatureRequis.DISPOSITIF,
                statut="publiee",
                nom=f"Dispositif fictif {i}",
                ville="Toulouse",
                departement_code="31",
                site_web=f"{origin}/site/{i}",
                published_at=now,
                services=[
                    Service(
                        nom="Télé-expertise",
                        specialite=specialite,
                        couverture_regionale=True,
                        canaux=[
                            Canal(outil=outil, adresse=f"{origin}/demande/{i}", position=0),
                            Canal(outil=outil, adresse=f"{origin}/commun", position=1),
                        ],
                    )
                ],
            )
        )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    server = SlowServer(args.delay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"

    folder = tempfile.mkdtemp(prefix="ato-links-")
    os.environ.update(
        ATO_ENV="test",
        ATO_INSTANCE_PATH=folder,
        DATABASE_URL=f"sqlite:///{folder}/a.sqlite3",
        ATO_LINKS_ALLOW_PRIVATE="1",
        ATO_LINKS_CONCURRENCY=str(args.concurrency),
    )
    from flask_migrate import upgrade

    from ato import create_app
    from ato.directory import seeding
    from ato.extensions import db
    from ato.links import services

    app = create_app()
    with app.app_context():
        upgrade()
        seeding.load_reference()
        db.session.commit()
        fill(args.links, origin)
        started = time.perf_counter()
        run = services.plan()
        db.session.commit()
        planned = time.perf_counter() - started
        outcomes = services.check(
            run.urls, services.settings_from(app.config), app.config["ATO_LINKS_CONCURRENCY"]
        )
        checked = time.perf_counter() - started - planned
        with app.test_request_context():
            summary = services.record(run, outcomes)
            db.session.commit()
        total = time.perf_counter() - started
    server.shutdown()
    result = {
        "distinct_urls": len(run.urls),
        "uses": sum(len(u) for u in run.uses.values()),
        "server_delay_seconds": args.delay,
        "concurrency": args.concurrency,
        "requests_served": server.requests,
        "peak_concurrent_requests": server.peak,
        "ok": summary.ok,
        "broken": summary.broken,
        "plan_seconds": round(planned, 2),
        "check_seconds": round(checked, 2),
        "record_seconds": round(total - planned - checked, 2),
        "total_seconds": round(total, 2),
        "urls_per_second": round(len(run.urls) / checked, 1),
        "machine": f"{platform.node()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "links.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
