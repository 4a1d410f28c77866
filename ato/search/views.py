"""``/recherche``: find recourses from the words a requérant types (GET, bookmarkable)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from sqlalchemy import select

from ato.directory import services as directory
from ato.directory.models import Outil
from ato.extensions import db, limiter
from ato.search import clinical, services
from ato.search.forms import SearchForm
from ato.web import nombre

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
    filters = active_filters(form, params)
    return render_template(
        "search/search.html",
        form=form,
        params=params,
        results=results,
        messages=messages,
        filters=filters,
        title=page_title(params, results, filters),
        url_with=_url_with(params),
        departements={d.code: d for d in directory.departements()},
    )


FILTERS = ("departement", "specialite", "type", "outil")


def active_filters(form: SearchForm, params: services.SearchParams) -> list[tuple[str, str]]:
    """The filters in effect as (parameter, label), in the order of the facets."""
    found = []
    for name in FILTERS:
        value = getattr(params, name)
        if value:
            found.append((name, dict(form.choices[name]).get(value, value)))
    return found


def page_title(
    params: services.SearchParams,
    results: services.SearchResults | None,
    filters: list[tuple[str, str]],
) -> str:
    """What the tab and the history say of this page: words, filters, count and page.

    e.g. « « cardiologie », Haute-Garonne (31) — 12 résultats, page 2 sur 3 ».
    """
    what = [f"« {params.q.strip()} »"] if params.q.strip() else []
    what += [label for _, label in filters]
    if results is None:
        return "Rechercher un recours"
    count = f"{nombre(results.total)} résultat{'s' if results.total > 1 else ''}"
    if results.pages > 1:
        count += f", page {params.page} sur {results.pages}"
    return f"Recherche {', '.join(what)} — {count}" if what else f"Recherche — {count}"


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
