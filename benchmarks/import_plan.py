"""The directory import's dry run at its documented maximum (5,000 lines), timed.

    .venv/bin/python -m benchmarks.import_plan [--lines 5000] [--services-per-entry 1]

Builds a valid file of fictional establishments (Luhn-valid FINESS, one or more services
each), migrates a temporary SQLite database, loads the reference data, then times
``transfer.services.plan`` (reading, grouping, the entry checks, the duplicate and homonym
lookups) and ``apply`` (creating the entries). Results go to ``benchmarks/results/import.json``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from stdnum import luhn

RESULTS = Path(__file__).resolve().parent / "results"


def build_file(lines: int, per_entry: int, columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(columns)
    for n in range(lines):
        entry = n // per_entry
        body = f"31{entry:06d}"
        row = {
            "nature": "etablissement",
            "nom": f"Établissement fictif {entry}",
            "finess": body + luhn.calc_check_digit(body),
            "ville": "Toulouse",
            "departement": "31",
            "contact_nom": "Camille Exemple",
            "contact_email": f"contact{entry}@exemple.fr",
            "service": f"Service {n % per_entry}",
            "specialite": "dermatologie",
            "departements_acceptes": "region",
            "outil_1": "teleo",
            "adresse_1": "https://teleo.exemple.fr/demande",
        }
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--services-per-entry", type=int, default=1)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="ato-import-")
    os.environ.update(
        ATO_ENV="test", ATO_INSTANCE_PATH=folder, DATABASE_URL=f"sqlite:///{folder}/a.sqlite3"
    )
    from flask_migrate import upgrade

    from ato import create_app
    from ato.directory import seeding
    from ato.extensions import db
    from ato.transfer import services

    app = create_app()
    with app.app_context():
        upgrade()
        seeding.load_reference()
        db.session.commit()
        data = build_file(args.lines, args.services_per_entry, services.COLUMNS)
        started = time.perf_counter()
        plan = services.plan(data)
        planned = time.perf_counter() - started
        assert plan.ok, plan.all_errors[:5]
        started = time.perf_counter()
        created = services.apply(plan, None)
        db.session.commit()
        applied = time.perf_counter() - started
    result = {
        "lines": args.lines,
        "entries": len(created),
        "dry_run_seconds": round(planned, 2),
        "apply_seconds": round(applied, 2),
        "machine": f"{platform.node()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}",
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
