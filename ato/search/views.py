"""``/recherche``: find recourses from the words a requérant types."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ato.directory import services

bp = Blueprint("search", __name__)

MAX_QUERY_LENGTH = 200


@bp.get("/recherche")
def search() -> str:
    q = " ".join(request.args.get("q", "").split())[:MAX_QUERY_LENGTH]
    results = services.match_by_name(q) if q else []
    return render_template("search/search.html", q=q, results=results)
