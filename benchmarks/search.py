"""Search benchmark: index build, search-call latency, /recherche throughput, freshness.

    .venv/bin/python -m benchmarks.search --sizes 1000,10000,100000

For each size it generates (once, cached in ``benchmarks/.data``) a realistic
directory, rebuilds the index, times a fixed query mix through ``search()``,
serves the app with gunicorn (2 workers) and loads ``/recherche`` with wrk
(loopback only, bounded in time) — once with the real search and once with the
zero-cost stub (``ATO_SEARCH_ENGINE=stub``) — and measures how long an update
takes to be visible in every worker. Results go to ``benchmarks/results/`` and
are summarised in ``docs/PERFORMANCE.md`` by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
RESULTS = ROOT / "benchmarks" / "results"

# (label, params): free text of 1–3 words with and without accents and truncations,
# filter only, text + filters, one typo.
QUERY_MIX: list[tuple[str, dict]] = [
    ("texte", {"q": "dermatologie"}),
    ("texte", {"q": "dermato"}),
    ("texte", {"q": "pédiatrie"}),
    ("texte", {"q": "pediatrie"}),
    ("texte", {"q": "plaie chronique"}),
    ("texte", {"q": "soins palliatifs"}),
    ("texte", {"q": "gériatrie ehpad"}),
    ("texte", {"q": "insuffisance cardiaque"}),
    ("texte", {"q": "neurolo"}),
    ("texte", {"q": "ophtalmo"}),
    ("texte", {"q": "psychiatrie enfant"}),
    ("texte", {"q": "diabete"}),
    ("texte", {"q": "douleur chronique"}),
    ("texte", {"q": "cardio toulouse"}),
    ("texte", {"q": "avc 34"}),
    ("texte", {"q": "echographie grossesse"}),
    ("filtres", {"departement": "31"}),
    ("filtres", {"specialite": "cardiologie"}),
    ("filtres", {"departement": "34", "specialite": "dermatologie"}),
    ("texte+filtres", {"q": "dermato", "departement": "34"}),
    ("texte+filtres", {"q": "plaie", "type": "etablissement"}),
    ("texte+filtres", {"q": "suivi", "outil": "teleo", "departement": "81"}),
    ("faute", {"q": "cardiolgie"}),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    f, c = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[f] + (ordered[c] - ordered[f]) * (k - f)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")),
        "",
    )
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else "x 0"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo.split()[1]) / 2**20, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def app_for(size: int, engine: str = "whoosh"):  # noqa: ANN201
    os.environ["ATO_INSTANCE_PATH"] = str(DATA / f"n{size}")
    from ato import create_app

    return create_app(
        {
            "ATO_ENV": "test",
            "ATO_SEARCH_ENGINE": engine,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{DATA / f'n{size}' / 'ato.sqlite3'}",
        }
    )


def prepare(size: int) -> float:
    """Create the directory of ``size`` services (cached); returns generation seconds."""
    folder = DATA / f"n{size}"
    if (folder / "ready").exists():
        return 0.0
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    app = app_for(size)
    from flask_migrate import upgrade

    from ato.directory import seeding
    from ato.extensions import db
    from benchmarks.generate import generate

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        seeding.load_reference()
        db.session.commit()
        generate(size)
        db.session.commit()
    (folder / "ready").write_text("ok")
    return time.perf_counter() - started


def bench_build_and_calls(size: int, repeat: int, procs: int) -> dict:
    app = app_for(size)
    from ato.search import sync
    from ato.search.services import SearchParams, search

    with app.app_context():
        started = time.perf_counter()
        count = sync.rebuild(procs=procs)
        build = time.perf_counter() - started
    index_dir = Path(app.config["ATO_SEARCH_INDEX_PATH"])
    size_mb = sum(f.stat().st_size for f in index_dir.rglob("*") if f.is_file()) / 2**20
    timings: dict[str, list[float]] = {}
    with app.test_request_context():
        for _, params in QUERY_MIX:  # warm-up: open the searcher, load facets and vocabulary
            search(SearchParams(**params))
        for _ in range(repeat):
            for label, params in QUERY_MIX:
                t = time.perf_counter()
                search(SearchParams(**params))
                timings.setdefault(label, []).append((time.perf_counter() - t) * 1000)
        cold: list[float] = []  # the searcher reopened before each call
        for _, params in QUERY_MIX:
            for _ in range(3):
                sync.get_index().close()
                t = time.perf_counter()
                search(SearchParams(**params))
                cold.append((time.perf_counter() - t) * 1000)
    every = [v for values in timings.values() for v in values]
    stats = {
        label: {"p50": percentile(v, 0.5), "p95": percentile(v, 0.95)}
        for label, v in timings.items()
    }
    return {
        "documents": count,
        "build_s": build,
        "index_mb": size_mb,
        "calls": len(every),
        "p50_ms": percentile(every, 0.5),
        "p95_ms": percentile(every, 0.95),
        "p99_ms": percentile(every, 0.99),
        "cold_p50_ms": percentile(cold, 0.5),
        "cold_p95_ms": percentile(cold, 0.95),
        "cold_p99_ms": percentile(cold, 0.99),
        "by_kind": stats,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, size: int, engine: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "ATO_ENV": "test",
            "ATO_SEARCH_ENGINE": engine,
            "ATO_INSTANCE_PATH": str(DATA / f"n{size}"),
            "DATABASE_URL": f"sqlite:///{DATA / f'n{size}' / 'ato.sqlite3'}",
        }
        self.log = open(DATA / f"gunicorn-{size}-{engine}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/accessibilite", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        # Let both workers open the index before measuring.
        for _ in range(8):
            self.get("/recherche?q=dermato")

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:  # noqa: S310
            return response.read().decode()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def wrk(url: str, seconds: int) -> float:
    paths = ["/recherche?" + urllib.parse.urlencode(p) for _, p in QUERY_MIX]
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    script.write(
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "local i = 0\nrequest = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n"
    )
    script.close()
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "10s", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def bench_freshness(size: int, server: Server) -> dict:
    """Commit a new entry, then poll until 10 consecutive answers (both workers) show it."""
    app = app_for(size)
    from ato.directory.models import (
        NatureRequis,
        Requis,
        Service,
        Specialite,
        Statut,
        utcnow,
    )
    from ato.extensions import db

    word = f"zorglub{int(time.time())}"
    with app.app_context():
        spec = db.session.scalar(db.select(Specialite).where(Specialite.slug == "dermatologie"))
        t0 = time.perf_counter()
        db.session.add(
            Requis(
                nature=NatureRequis.DISPOSITIF,
                nom=f"Fraîcheur {word}",
                statut=Statut.PUBLISHED,
                published_at=utcnow(),
                ville="Albi",
                departement_code="81",
                services=[Service(nom="Test", specialite=spec, couverture_regionale=True)],
            )
        )
        db.session.commit()
        committed = time.perf_counter()
    streak, first_seen = 0, None
    while streak < 10 and time.perf_counter() - committed < 10:
        if word in server.get(f"/recherche?q={word}"):
            first_seen = first_seen or time.perf_counter()
            streak += 1
        else:
            streak = 0
    visible_all = time.perf_counter() if streak >= 10 else None
    with app.app_context():
        db.session.execute(db.delete(Requis).where(Requis.nom == f"Fraîcheur {word}"))
        db.session.commit()
    return {
        "commit_with_index_ms": (committed - t0) * 1000,
        "first_visible_ms": ((first_seen or committed) - committed) * 1000,
        "visible_in_every_worker_ms": ((visible_all - committed) * 1000) if visible_all else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--wrk-seconds", type=int, default=15)
    parser.add_argument("--procs", type=int, default=1)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine(), "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"== {size} services", flush=True)
        generation = prepare(size)
        result = {
            "generation_s": generation,
            **bench_build_and_calls(size, args.repeat, args.procs),
        }
        print(json.dumps(result, indent=1), flush=True)
        for engine in ("whoosh", "stub"):
            server = Server(size, engine)
            try:
                result[f"rps_{engine}"] = wrk(server.url, args.wrk_seconds)
                if engine == "whoosh":
                    result["freshness"] = bench_freshness(size, server)
            finally:
                server.stop()
        result["throughput_ratio"] = result["rps_whoosh"] / result["rps_stub"]
        print(json.dumps(result, indent=1), flush=True)
        report["sizes"][size] = result
        (RESULTS / "search.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
