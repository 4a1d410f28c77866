"""``/recherche``: find recourses from the words a requérant types (GET, bookmarkable)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from sqlalchemy import select

from ato.directory import services as directory
from ato.directory.models import Outil
from ato.extensions import db, limiter
from ato.search import clinical, services
from ato.search.forms import SearchForm

bp = Blueprint("search", __name__)


@bp.get("/recherche")
@limiter.limit(lambda: current_app.config["ATO_SEARCH_RATE_LIMIT"])
def search() -> str:
    outils = db.session.execute(select(Outil.slug, Outil.nom).order_by(Outil.id)).all()
    form = SearchForm(request.args, outils=list(outils))
    params, messages = form.params()
    searched = bool(
        params.q.strip() or any((params.departement, params.specialite, params.type, params.outil))
    )
    results = services.search(params) if searched else None
    if results is not None and results.total == 0 and not results.no_words:
        from ato.search.query import parse, vocabulary

        services.record_miss(params, parse(params.q, vocabulary()).normalised)
    return render_template(
        "search/search.html",
        form=form,
        params=params,
        results=results,
        messages=messages,
        url_with=_url_with(params),
        departements={d.code: d for d in directory.departements()},
    )


@bp.app_context_processor
def _clinical_attribution() -> dict[str, str]:
    """The CIM-11 credit, shown wherever its titles are (search, legal page)."""
    return {
        "clinical_attribution": clinical.ATTRIBUTION,
        "clinical_short_attribution": clinical.SHORT_ATTRIBUTION,
    }


def _url_with(params: services.SearchParams):  # noqa: ANN202
    """Build /recherche URLs that keep every current filter, with some changed."""
    current = {
        "q": params.q or None,
        "departement": params.departement,
        "specialite": params.specialite,
        "type": params.type,
        "outil": params.outil,
        "situe": "1" if params.situe else None,
        "tri": params.tri if params.tri != "pertinence" else None,
    }

    def build(**changes: object) -> str:
        args = {**current, **changes}
        if "page" not in changes:
            args.pop("page", None)
        return url_for("search.search", **{k: v for k, v in args.items() if v not in (None, "")})

    return build


@bp.app_template_filter("surligne")
def highlight(text: str | None, stems: tuple[frozenset[str], tuple[str, ...]]):  # noqa: ANN201
    """Wrap the words of ``text`` that match the query in ``<mark>``; everything escaped."""
    import re

    from markupsafe import Markup, escape

    from ato.search.analysis import fold, stem

    if not text:
        return ""
    exact, prefixes = stems
    if not exact and not prefixes:
        return escape(text)

    def mark(match: re.Match) -> str:
        word = match.group(0)
        folded = stem(fold(word))
        hit = folded in exact or any(
            folded.startswith(p) or fold(word).startswith(p) for p in prefixes
        )
        return f"<mark>{escape(word)}</mark>" if hit else str(escape(word))

    parts, last = [], 0
    for match in re.finditer(r"\w+", text):
        parts.append(str(escape(text[last : match.start()])))
        parts.append(mark(match))
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped
