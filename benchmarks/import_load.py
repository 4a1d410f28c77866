"""Public pages while a 5,000-line import runs in the background, timed.

    .venv/bin/python -m benchmarks.import_load

Serves the app with gunicorn (two workers) on a temporary SQLite database, measures the
home page's latency alone, then again while a staff member's 5,000-line verification job
runs, and how long the job took. Results go to ``benchmarks/results/import_load.json``.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.import_plan import build_file

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "girafe-orage-carnet-tulipe"  # noqa: S105 - a throwaway account of the benchmark


def _latencies(url: str, seconds: float) -> list[float]:
    found, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
            response.read()
        found.append((time.perf_counter() - started) * 1000)
    return found


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "requests": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(values[int(len(values) * 0.95) - 1], 1),
        "max_ms": round(values[-1], 1),
    }


def main() -> None:
    folder = tempfile.mkdtemp(prefix="ato-import-load-")
    env = {
        **os.environ,
        "ATO_ENV": "development",
        "ATO_INSTANCE_PATH": folder,
        "DATABASE_URL": f"sqlite:///{folder}/a.sqlite3",
        "ATO_PUBLIC_POST_RATE_LIMIT": "10000 per hour",
    }
    flask = [sys.executable, "-m", "flask", "--app", "ato"]
    for command in (["db", "upgrade"], ["ato", "seed", "reference"], ["ato", "seed", "examples"]):
        subprocess.run([*flask, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [
            *flask,
            "ato",
            "users",
            "create",
            "--email",
            "bench@ato.invalid",
            "--nom",
            "Banc",
            "--password",
            PASSWORD,
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--bind",
            f"fd://{listener.fileno()}",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        pass_fds=(listener.fileno(),),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listener.close()
    base = f"http://127.0.0.1:{port}"
    try:
        _latencies(base + "/", 2)  # warm up both workers
        alone = _latencies(base + "/", 10)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def form(url: str, fields: dict, files: dict | None = None):
            page = opener.open(base + url).read().decode()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            fields = {"csrf_token": token, **fields}
            if not files:
                body = urllib.parse.urlencode(fields).encode()
                return opener.open(urllib.request.Request(base + url, data=body))
            boundary = "----ato-bench"
            head = '--{}\r\nContent-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
            parts = [head.format(boundary, k, v).encode() for k, v in fields.items()]
            for name, (filename, data) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                    + data
                    + b"\r\n"
                )
            parts.append(f"--{boundary}--\r\n".encode())
            request = urllib.request.Request(
                base + url,
                data=b"".join(parts),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            return opener.open(request)

        form("/connexion", {"email": "bench@ato.invalid", "password": PASSWORD})
        from ato.transfer.services import COLUMNS

        started = time.perf_counter()
        job_page = form(
            "/admin/import", {}, {"fichier": ("5000.csv", build_file(5000, 1, COLUMNS))}
        )
        job_url = job_page.geturl()
        answered = time.perf_counter() - started
        during: list[float] = []
        while b'http-equiv="refresh"' in opener.open(job_url).read():
            during += _latencies(base + "/", 1)
        finished = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=15)
    result = {
        "home_alone": _summary(alone),
        "home_during_import": _summary(during),
        "upload_answered_seconds": round(answered, 2),
        "verification_of_5000_lines_seconds": round(finished, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import_load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
