"""Relevance benchmark: P@1, MRR and nDCG@5 of the search on a realistic fictional directory.

    .venv/bin/python -m benchmarks.relevance [--json PATH] [--label NAME]

A fresh temporary SQLite database and instance folder are made for each run;
the reference data of ``seed/`` and the directory ``annuaire.json`` (loaded by
the same loader as the example data) are put in it, the search index is rebuilt
and every query of ``queries.csv`` goes through ``ato.search.services.search``.
The first page of results is compared with the graded judgements of
``judgements.csv`` (3 = the right recourse, should be first; 2 = very good;
1 = acceptable; unlisted = 0). Services are named by their requis ``nom`` and
service ``nom``, as in ``annuaire.json``.

Metrics, per query then averaged (overall and per category):
- P@1: the first result has grade 3;
- MRR: 1 / rank of the first grade-3 result in the first page (0 if none);
- nDCG@5: gain 2^grade − 1, log2 discount, ideal ordering from all judged services.

A misspelt query that the engine only answers with a suggestion ("Vouliez-vous
dire …") has no results and counts as a miss; the suggestion is recorded in the JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ANNUAIRE = HERE / "annuaire.json"
QUERIES = HERE / "queries.csv"
JUDGEMENTS = HERE / "judgements.csv"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "relevance.json"
CATEGORIES = (
    "maladie",
    "signe",
    "examen",
    "abreviation",
    "faute",
    "lieu",
    "combinaison",
    "filtre",
    "nom",
)
NDCG_AT = 5
SHOW_FAILING = 3
KEPT_IN_JSON = 10


@dataclass
class Query:
    id: str
    categorie: str
    q: str
    departement: str
    specialite: str
    note: str
    grades: dict[tuple[str, str], int] = field(default_factory=dict)


class BenchmarkDataError(ValueError):
    """The benchmark's own files do not agree with each other or with seed/."""


# --- data ----------------------------------------------------------------------------------------


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def load_data() -> tuple[list[Query], set[tuple[str, str]]]:
    """Queries with their grades, checked against the directory and the reference data."""
    entries = json.loads(ANNUAIRE.read_text(encoding="utf-8"))
    services = {(e["nom"], s["nom"]) for e in entries for s in e["services"]}
    if len(services) != sum(len(e["services"]) for e in entries):
        raise BenchmarkDataError("annuaire.json : un couple (requis, service) apparaît deux fois")
    departements = {r["code_insee"] for r in _csv(ROOT / "seed" / "departements.csv")}
    specialites = {r["slug"] for r in _csv(ROOT / "seed" / "specialites.csv")}

    queries: dict[str, Query] = {}
    for row in _csv(QUERIES):
        query = Query(
            id=row["id"],
            categorie=row["categorie"],
            q=row["q"],
            departement=row["departement"],
            specialite=row["specialite"],
            note=row["note"],
        )
        if query.id in queries:
            raise BenchmarkDataError(f"queries.csv : identifiant en double {query.id}")
        if query.categorie not in CATEGORIES:
            raise BenchmarkDataError(f"queries.csv {query.id} : catégorie {query.categorie!r}")
        if query.departement and query.departement not in departements:
            raise BenchmarkDataError(f"queries.csv {query.id} : département {query.departement!r}")
        if query.specialite and query.specialite not in specialites:
            raise BenchmarkDataError(f"queries.csv {query.id} : spécialité {query.specialite!r}")
        if not (query.q or query.departement or query.specialite):
            raise BenchmarkDataError(f"queries.csv {query.id} : requête vide")
        queries[query.id] = query

    for n, row in enumerate(_csv(JUDGEMENTS), start=2):
        query = queries.get(row["query_id"])
        key = (row["requis"], row["service"])
        if query is None:
            raise BenchmarkDataError(f"judgements.csv ligne {n} : requête {row['query_id']!r}")
        if key not in services:
            raise BenchmarkDataError(f"judgements.csv ligne {n} : service inconnu {key}")
        if key in query.grades:
            raise BenchmarkDataError(f"judgements.csv ligne {n} : jugement en double {key}")
        grade = int(row["grade"])
        if grade not in (1, 2, 3):
            raise BenchmarkDataError(f"judgements.csv ligne {n} : note {grade}")
        query.grades[key] = grade
    for query in queries.values():
        if 3 not in query.grades.values():
            raise BenchmarkDataError(f"{query.id} ({query.q!r}) n'a aucun service noté 3")
    return list(queries.values()), services


# --- metrics -------------------------------------------------------------------------------------


def dcg(grades: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def score(query: Query, ranked: list[tuple[str, str]]) -> dict:
    grades = [query.grades.get(key, 0) for key in ranked]
    first = next((i + 1 for i, g in enumerate(grades) if g == 3), None)
    ideal = dcg(sorted(query.grades.values(), reverse=True)[:NDCG_AT])
    return {
        "p1": 1.0 if grades[:1] == [3] else 0.0,
        "rr": 1.0 / first if first else 0.0,
        "ndcg5": dcg(grades[:NDCG_AT]) / ideal if ideal else 0.0,
        "first_grade3_rank": first,
        "grades": grades,
        # results nobody judged: a hint that judgements.csv may miss a relevant service
        "unjudged_top5": sum(key not in query.grades for key in ranked[:NDCG_AT]),
    }


def summarise(rows: list[dict]) -> dict:
    n = len(rows)
    return {
        "queries": n,
        "p1": sum(r["p1"] for r in rows) / n if n else 0.0,
        "mrr": sum(r["rr"] for r in rows) / n if n else 0.0,
        "ndcg5": sum(r["ndcg5"] for r in rows) / n if n else 0.0,
    }


# --- running the search --------------------------------------------------------------------------


def _provenance(module_file: str) -> dict:
    package_dir = Path(module_file).resolve().parent

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=package_dir, capture_output=True, text=True, timeout=20
            )
        except OSError:
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    return {
        "ato_path": str(package_dir),
        "ato_commit": git("rev-parse", "HEAD") or None,
        "ato_changes": bool(git("status", "--porcelain", "--", ".")),
    }


def run_queries(queries: list[Query]) -> tuple[list[dict], dict]:
    """Build the temporary application, load the directory and run every query."""
    with tempfile.TemporaryDirectory(prefix="ato-relevance-") as tmp:
        os.environ["ATO_ENV"] = "test"
        os.environ["ATO_INSTANCE_PATH"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'ato.sqlite3'}"
        for name in ("ATO_SEARCH_ENGINE", "ATO_SEARCH_INDEX_PATH", "ATO_SEARCH_TIME_BUDGET"):
            os.environ.pop(name, None)  # the real engine, in the temporary instance folder

        import ato
        from ato import create_app

        app = create_app()
        from flask_migrate import upgrade

        from ato.directory import seeding
        from ato.extensions import db
        from ato.search import sync
        from ato.search.services import SearchParams, search

        with app.app_context():
            upgrade()
            seeding.load_reference()
            db.session.commit()
            report = seeding.load_examples(ANNUAIRE)
            db.session.commit()
            documents = sync.rebuild()
        info = {
            **_provenance(ato.__file__),
            "services_loaded": documents,
            "requis_loaded": report.created,
        }

        answers = []
        with app.test_request_context():
            for query in queries:
                params = SearchParams(
                    q=query.q,
                    departement=query.departement or None,
                    specialite=query.specialite or None,
                )
                results = search(params)
                followed = None
                if results.total == 0 and results.suggestion:  # one click on "Vouliez-vous dire"
                    clicked = search(replace(params, q=results.suggestion))
                    followed = [(s.requis.nom, s.nom) for s in clicked.services]
                answers.append(
                    {
                        "followed": followed,
                        "ranked": [(s.requis.nom, s.nom) for s in results.services],
                        "total": results.total,
                        "engine": results.engine,
                        "departement": results.departement,
                        "suggestion": results.suggestion,
                        "truncated": getattr(results, "truncated", False),
                    }
                )
        with app.app_context():
            sync.get_index().close()
            db.engine.dispose()
    return answers, info


# --- report --------------------------------------------------------------------------------------


def table(summary: dict, by_category: dict[str, dict]) -> str:
    lines = [f"{'catégorie':<13} {'n':>4} {'P@1':>6} {'MRR':>6} {'nDCG@5':>7}"]
    lines.append("-" * len(lines[0]))

    def line(name: str, s: dict) -> str:
        return f"{name:<13} {s['queries']:>4} {s['p1']:>6.3f} {s['mrr']:>6.3f} {s['ndcg5']:>7.3f}"

    for name in CATEGORIES:
        if name in by_category:
            lines.append(line(name, by_category[name]))
    lines.append("-" * len(lines[0]))
    lines.append(line("ensemble", summary))
    return "\n".join(lines)


def describe(query: Query) -> str:
    filters = [f"{k}={v}" for k, v in (("dép", query.departement), ("spé", query.specialite)) if v]
    text = repr(query.q) if query.q else "(sans texte)"
    return " ".join([query.id, f"[{query.categorie}]", text, *filters])


def failing(queries: list[Query], rows: list[dict]) -> str:
    out = []
    for query, row in zip(queries, rows, strict=True):
        if row["p1"]:
            continue
        rank = row["first_grade3_rank"]
        out.append(
            f"{describe(query)} — {row['total']} résultat(s), "
            f"premier noté 3 : {('rang ' + str(rank)) if rank else 'absent de la 1re page'}"
        )
        if row["suggestion"]:
            out.append(f"    suggestion : {row['suggestion']!r}")
        for i, (key, grade) in enumerate(zip(row["ranked"], row["grades"], strict=False)):
            if i == SHOW_FAILING:
                break
            out.append(f"    {i + 1}. [{grade}] {key[0]} — {key[1]}")
        if not row["ranked"]:
            out.append("    (aucun résultat)")
        expected = [k for k, g in query.grades.items() if g == 3][:2]
        out.append("    attendu : " + " | ".join(f"{r} — {s}" for r, s in expected))
    return "\n".join(out) if out else "(aucune)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relevance", description=__doc__)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="fichier de résultats")
    parser.add_argument("--label", default="", help="nom de la mesure, gardé dans le JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    queries, services = load_data()
    answers, info = run_queries(queries)
    if info["services_loaded"] != len(services):
        raise BenchmarkDataError(
            f"{info['services_loaded']} services indexés, {len(services)} dans annuaire.json"
        )

    rows = []
    for query, answer in zip(queries, answers, strict=True):
        rows.append({**answer, **score(query, answer["ranked"])})
    by_category_rows: dict[str, list[dict]] = defaultdict(list)
    for query, row in zip(queries, rows, strict=True):
        by_category_rows[query.categorie].append(row)
    summary = summarise(rows)
    by_category = {c: summarise(by_category_rows[c]) for c in CATEGORIES if c in by_category_rows}
    # The same, when the user follows "Vouliez-vous dire" once (never applied silently).
    clicked = [
        score(q, a["followed"]) if a["followed"] is not None else r
        for q, a, r in zip(queries, answers, rows, strict=True)
    ]
    clicked_by_category: dict[str, list[dict]] = defaultdict(list)
    for query, row in zip(queries, clicked, strict=True):
        clicked_by_category[query.categorie].append(row)
    summary_clicked = summarise(clicked)
    by_category_clicked = {
        c: summarise(clicked_by_category[c]) for c in CATEGORIES if c in clicked_by_category
    }

    print(f"ATO — pertinence de la recherche ({info['ato_path']})")
    print(
        f"{len(services)} services, {len(queries)} requêtes, "
        f"{sum(len(q.grades) for q in queries)} jugements"
        + (f" — {args.label}" if args.label else "")
    )
    print()
    print(table(summary, by_category))
    print()
    print("En suivant une fois « Vouliez-vous dire » quand la recherche ne trouve rien :")
    print(table(summary_clicked, by_category_clicked))
    unjudged = sum(r["unjudged_top5"] for r in rows)
    suggested = sum(1 for r in rows if r["suggestion"] is not None)
    print(
        f"\nRésultats non jugés (note 0) dans les 5 premiers : {unjudged} ; "
        f"requêtes avec suggestion « Vouliez-vous dire » : {suggested}"
    )
    print()
    print("Requêtes dont le premier résultat n'est pas noté 3 :")
    print(failing(queries, rows))

    report = {
        "label": args.label,
        **info,
        "counts": {
            "services": len(services),
            "queries": len(queries),
            "judgements": sum(len(q.grades) for q in queries),
        },
        "overall": summary,
        "unjudged_top5": sum(r["unjudged_top5"] for r in rows),
        "by_category": by_category,
        "overall_following_suggestion": summary_clicked,
        "by_category_following_suggestion": by_category_clicked,
        "queries": [
            {
                "id": q.id,
                "categorie": q.categorie,
                "q": q.q,
                "departement": q.departement or None,
                "specialite": q.specialite or None,
                "p1": r["p1"],
                "rr": r["rr"],
                "ndcg5": r["ndcg5"],
                "first_grade3_rank": r["first_grade3_rank"],
                "total": r["total"],
                "engine": r["engine"],
                "effective_departement": r["departement"],
                "suggestion_offered": r["suggestion"] is not None,
                "suggestion": r["suggestion"],
                "truncated": r["truncated"],
                "unjudged_top5": r["unjudged_top5"],
                "results": [
                    {"requis": k[0], "service": k[1], "grade": g}
                    for k, g in list(zip(r["ranked"], r["grades"], strict=True))[:KEPT_IN_JSON]
                ],
            }
            for q, r in zip(queries, rows, strict=True)
        ],
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print()
    print(f"Résultats : {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
