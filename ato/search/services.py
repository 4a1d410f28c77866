"""Search: ranked full-text results from the index, filter-only listings from SQL.

The database is the truth. The index only says *which* services match and in
what order; the services shown are reloaded from the database (and dropped if
no longer published). Without text, or when the index is unavailable, SQL
answers alone.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from flask import current_app
from sqlalchemy import Select, func, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from ato.directory import services as directory
from ato.directory.models import (
    Canal,
    Departement,
    NatureRequis,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
    service_departement,
    service_thematique,
)
from ato.extensions import db
from ato.search import query as query_module
from ato.search import sync
from ato.search.analysis import STOP_WORDS
from ato.search.documents import REGIONAL
from ato.search.index import FacetTable, IndexUnavailable
from ato.search.models import SearchMiss

log = logging.getLogger(__name__)

PAGE_SIZE = 20
MAX_PREFIX_TERMS = 200  # a prefix of 4+ stem characters rarely reaches this
# What a result card shows: many-to-one rows joined, collections in one query each.
RESULT_CARD_OPTIONS = (
    joinedload(Service.requis).joinedload(Requis.departement),
    joinedload(Service.specialite),
    selectinload(Service.thematiques),
    selectinload(Service.canaux).joinedload(Canal.outil),
)
MAX_PAGE = 500
DIMENSIONS = ("departement", "specialite", "type", "outil")
SORTS = ("pertinence", "nom")


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    departement: str | None = None
    specialite: str | None = None
    type: str | None = None
    outil: str | None = None
    situe: bool = False
    page: int = 1
    tri: str = "pertinence"


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResults:
    params: SearchParams
    services: list[Service]
    total: int
    facets: dict[str, list[FacetValue]]
    engine: Literal["index", "sql", "sql-secours"]
    departement: str | None = None  # effective filter (explicit or from a place word)
    place_words: str = ""
    suggestion: str | None = None
    highlight: tuple[frozenset[str], tuple[str, ...]] = (frozenset(), ())
    truncated: bool = False
    counts: dict[str, Counter] = field(default_factory=dict)
    no_words: bool = False  # the text had nothing searchable (only stop words or symbols)

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, math.ceil(self.total / PAGE_SIZE)))


@dataclass(frozen=True)
class Filters:
    departement: str | None
    situe: bool
    specialite: str | None
    type: str | None
    outil: str | None


# --- entry point ------------------------------------------------------------------------------


def search(params: SearchParams, sql_only: bool = False) -> SearchResults:
    """Run a search.

    Text and filters are answered from the index (its bitsets make filter-only
    listings about 20× faster than the equivalent SQL, see docs/PERFORMANCE.md);
    SQL answers when the index is unavailable, or when ``sql_only`` asks for the
    reference computation (tests compare both).
    """
    parsed = query_module.parse(params.q, query_module.vocabulary())
    filters = Filters(
        departement=params.departement or parsed.place,
        situe=params.situe,
        specialite=params.specialite,
        type=params.type,
        outil=params.outil,
    )
    has_filter = any((filters.departement, filters.specialite, filters.type, filters.outil))
    if params.q.strip() and not (parsed.has_text or parsed.place or has_filter):
        empty = {d: Counter() for d in DIMENSIONS}
        return SearchResults(
            params=params,
            services=[],
            total=0,
            no_words=True,
            facets=_facet_values(empty, filters),
            engine="sql",
        )
    if current_app.config["ATO_SEARCH_ENGINE"] == "stub":
        result = _search_stub(params)
    elif sql_only:
        result = _search_sql(params, filters, parsed, fallback=parsed.has_text)
    else:
        try:
            try:
                result = _search_index(params, parsed, filters)
            except IndexUnavailable:
                sync.mark_unready()  # deleted or damaged since the last search: rebuild once
                result = _search_index(params, parsed, filters)
        except IndexUnavailable as exc:
            log.error("Recherche servie par SQL, index indisponible : %s", str(exc))
            result = _search_sql(params, filters, parsed, fallback=parsed.has_text)
    result.departement = filters.departement
    result.place_words = parsed.place_words if not params.departement else ""
    result.highlight = parsed.highlight_stems()
    if result.total == 0 and parsed.has_text:
        result.suggestion = _suggest(parsed) if result.engine == "index" else None
    return result


# --- benchmark ceiling -------------------------------------------------------------------------

_stub_ids: list[int] = []


def _search_stub(params: SearchParams) -> SearchResults:
    """A zero-cost search returning fixed ids: the rest of the stack's ceiling (benchmarks).

    Selected with ``ATO_SEARCH_ENGINE=stub``; never in production.
    """
    if not _stub_ids:
        _stub_ids.extend(
            db.session.scalars(
                directory.published()
                .with_only_columns(Service.id)
                .order_by(Service.id)
                .limit(PAGE_SIZE)
            )
        )
    counts = {d: Counter() for d in DIMENSIONS}
    return SearchResults(
        params=params,
        services=_load_in_order(list(_stub_ids)),
        total=len(_stub_ids),
        facets=_facet_values(counts, Filters(None, False, None, None, None)),
        engine="index",
        counts=counts,
    )


# --- index path -------------------------------------------------------------------------------


def _filter_bits(table: FacetTable, filters: Filters, skip: str | None = None) -> int:
    """Documents passing every filter but ``skip``, as a bitset."""
    mask = table.live
    if skip != "departement" and filters.departement:
        if filters.situe:
            mask &= table.value("loc", filters.departement)
        else:
            mask &= table.value("acc", filters.departement) | table.value("acc", REGIONAL)
    if skip != "specialite" and filters.specialite:
        mask &= table.value("spec", filters.specialite)
    if skip != "type" and filters.type:
        mask &= table.value("type", filters.type)
    if skip != "outil" and filters.outil:
        mask &= table.value("tool", filters.outil)
    return mask


def _facet_counts(table: FacetTable, matched: int, filters: Filters) -> dict[str, Counter]:
    """Disjunctive facet counts: each dimension is counted with the *other* filters only."""
    counts: dict[str, Counter] = {}
    for dimension, bits_name in (
        ("departement", "loc" if filters.situe else "acc"),
        ("specialite", "spec"),
        ("type", "type"),
        ("outil", "tool"),
    ):
        others = matched & _filter_bits(table, filters, skip=dimension)
        counts[dimension] = Counter(
            {
                value: n
                for value, bits in table.bits[bits_name].items()
                if (n := (others & bits).bit_count())
            }
        )
    return counts


def _clause_bits(reader, table: FacetTable, field: str, parsed) -> list[int]:  # noqa: ANN001
    """One bitset per word, concept or prefix of the query, in ``field``."""
    bits = table.term_bits
    clauses = [bits(reader, field, term) for term in parsed.terms]
    for slug, key in parsed.concepts:
        words = [k for k in key if k not in STOP_WORDS]
        by_words = table.live if words else 0
        for word in words:
            by_words &= bits(reader, field, word)
        clauses.append(bits(reader, "specs", slug) | by_words)
    if parsed.prefix:
        expanded = 0
        for n, text in enumerate(reader.expand_prefix(field, parsed.prefix)):
            if n == MAX_PREFIX_TERMS:
                break
            expanded |= bits(reader, field, text.decode() if isinstance(text, bytes) else text)
        clauses.append(expanded)
    return clauses


def _ranked(table: FacetTable, matched: int, titles: list[int], keep: int) -> list[int]:
    """Docnums of the best ``keep`` matches, by relevance tier then name.

    Tier 1: every word is in the name or the specialty; tier 2: some are;
    tier 3: the words are only in the description. Tiers are bitset
    operations, so ranking costs the same whatever the number of matches.
    """
    all_in_title, any_in_title = matched, 0
    for title in titles:
        all_in_title &= title
        any_in_title |= title
    tiers = (all_in_title, any_in_title & matched & ~all_in_title, matched & ~any_in_title)
    ordered: list[int] = []
    for tier in tiers:
        if len(ordered) >= keep:
            break
        ordered += table.first_by_name(tier, keep - len(ordered))
    return ordered


def _search_index(params: SearchParams, parsed, filters: Filters) -> SearchResults:  # noqa: ANN001
    """Text, filters, facets and ranking on bitsets of the index's posting lists.

    Whoosh analyses, stores and expands the vocabulary; matching reads one
    posting list per word (cached per index generation) and everything else —
    totals, facet counts, relevance tiers — is C-speed bit arithmetic, so the
    cost barely grows with the number of matches or the size of the directory.
    """
    sync.ensure_ready()
    keep = min(params.page, MAX_PAGE) * PAGE_SIZE
    truncated = False
    with sync.get_index().searcher() as (searcher, table):
        deadline = time.monotonic() + current_app.config["ATO_SEARCH_TIME_BUDGET"]
        reader = searcher.reader()
        matched = table.live
        titles: list[int] = []
        if parsed.has_text:
            for clause in _clause_bits(reader, table, query_module.TEXT_FIELD, parsed):
                matched &= clause
                if time.monotonic() > deadline:
                    truncated = True
                    break
            if not truncated:
                titles = _clause_bits(reader, table, query_module.TITLE_FIELD, parsed)
        wanted = _filter_bits(table, filters)
        result = matched & wanted
        if parsed.has_text and params.tri != "nom":
            docnums = _ranked(table, result, [t & wanted for t in titles], keep)
        else:
            docnums = table.first_by_name(result, keep)
        ordered = [table.rows[d].service_id for d in docnums]
        counts = _facet_counts(table, matched, filters)
    if truncated:
        log.warning("Recherche tronquée par le budget de temps : %r", params.q)
    return SearchResults(
        params=params,
        services=_load_in_order(ordered[keep - PAGE_SIZE : keep]),
        total=result.bit_count(),
        facets=_facet_values(counts, filters),
        engine="index",
        truncated=truncated,
        counts=counts,
    )


def _load_in_order(ids: list[int]) -> list[Service]:
    if not ids:
        return []
    # By primary key, publication checked here: a join filtered on the status lets
    # SQLite scan every published requis instead of fetching twenty rows.
    loaded = {
        s.id: s
        for s in db.session.scalars(
            select(Service).where(Service.id.in_(ids)).options(*RESULT_CARD_OPTIONS)
        )
        if s.requis.statut == Statut.PUBLISHED
    }
    missing = [i for i in ids if i not in loaded]
    if missing:
        log.warning("Index en avance sur la base (services %s non publiés) : rattrapage", missing)
    return [loaded[i] for i in ids if i in loaded]


def _suggest(parsed) -> str | None:  # noqa: ANN001
    """'Vouliez-vous dire …' from the index's own vocabulary (never applied silently)."""
    try:
        with sync.get_index().searcher() as (searcher, _):
            corrector = searcher.corrector("mots")
            reader = searcher.reader()
            changed, out = False, []
            for word in parsed.free_words:
                if len(word) >= 4 and (("mots", word) not in reader):
                    best = corrector.suggest(word, limit=1, maxdist=2)
                    if best:
                        out.append(best[0])
                        changed = True
                        continue
                out.append(word)
    except IndexUnavailable:
        return None
    return " ".join(out) if changed else None


# --- SQL path ---------------------------------------------------------------------------------


def _apply_filters(query: Select, filters: Filters, skip: str | None = None) -> Select:
    if skip != "departement" and filters.departement:
        if filters.situe:
            query = query.where(Requis.departement_code == filters.departement)
        else:
            query = directory.filter_accepting_from(query, filters.departement)
    if skip != "specialite" and filters.specialite:
        spec_id = select(Specialite.id).where(Specialite.slug == filters.specialite)
        tagged = select(service_thematique.c.service_id).where(
            service_thematique.c.specialite_id.in_(spec_id)
        )
        query = query.where(or_(Service.specialite_id.in_(spec_id), Service.id.in_(tagged)))
    if skip != "type" and filters.type:
        query = query.where(Requis.nature == NatureRequis(filters.type))
    if skip != "outil" and filters.outil:
        with_tool = select(Canal.service_id).join(Outil).where(Outil.slug == filters.outil)
        query = query.where(Service.id.in_(with_tool))
    return query


def _text_filter(query: Select, parsed) -> Select:  # noqa: ANN001
    """The SQL fallback's text match: every word in a name, the town or the specialty."""
    words = parsed.free_words + [k[0] for _, k in parsed.concepts]
    if parsed.prefix and not parsed.free_words:
        words.append(parsed.prefix)
    return directory.filter_words(query, words[: query_module.MAX_TERMS])


def sql_facet_counts(filters: Filters, base: Select | None = None) -> dict[str, Counter]:
    """Facet counts computed by SQL (the reference the index path must agree with)."""
    base = base if base is not None else directory.published()
    counts: dict[str, Counter] = {}

    def ids(skip: str):  # noqa: ANN202
        return _apply_filters(base, filters, skip).with_only_columns(Service.id).subquery()

    dep_ids = ids("departement")
    if filters.situe:
        rows = db.session.execute(
            select(Requis.departement_code, func.count())
            .select_from(Service)
            .join(Requis, Requis.id == Service.requis_id)
            .where(Service.id.in_(select(dep_ids.c.id)))
            .group_by(Requis.departement_code)
        )
        counts["departement"] = Counter(dict(rows.all()))
    else:
        listed = select(
            service_departement.c.departement_code.label("code"),
            service_departement.c.service_id.label("sid"),
        ).where(service_departement.c.service_id.in_(select(dep_ids.c.id)))
        regional = (
            select(Departement.code.label("code"), Service.id.label("sid"))
            .select_from(Departement)
            .join(Service, Service.couverture_regionale.is_(True))
            .where(Service.id.in_(select(dep_ids.c.id)))
        )
        pairs = union_all(listed, regional).subquery()
        rows = db.session.execute(
            select(pairs.c.code, func.count(func.distinct(pairs.c.sid))).group_by(pairs.c.code)
        )
        counts["departement"] = Counter(dict(rows.all()))

    spec_ids = ids("specialite")
    main = select(Service.specialite_id.label("spec"), Service.id.label("sid")).where(
        Service.id.in_(select(spec_ids.c.id))
    )
    tags = select(
        service_thematique.c.specialite_id.label("spec"),
        service_thematique.c.service_id.label("sid"),
    ).where(service_thematique.c.service_id.in_(select(spec_ids.c.id)))
    pairs = union_all(main, tags).subquery()
    rows = db.session.execute(
        select(Specialite.slug, func.count(func.distinct(pairs.c.sid)))
        .join(pairs, pairs.c.spec == Specialite.id)
        .group_by(Specialite.slug)
    )
    counts["specialite"] = Counter(dict(rows.all()))

    type_ids = ids("type")
    rows = db.session.execute(
        select(Requis.nature, func.count())
        .select_from(Service)
        .join(Requis, Requis.id == Service.requis_id)
        .where(Service.id.in_(select(type_ids.c.id)))
        .group_by(Requis.nature)
    )
    counts["type"] = Counter({n.value: c for n, c in rows.all()})

    tool_ids = ids("outil")
    rows = db.session.execute(
        select(Outil.slug, func.count(func.distinct(Canal.service_id)))
        .join(Canal, Canal.outil_id == Outil.id)
        .where(Canal.service_id.in_(select(tool_ids.c.id)))
        .group_by(Outil.slug)
    )
    counts["outil"] = Counter(dict(rows.all()))
    return counts


def _search_sql(
    params: SearchParams,
    filters: Filters,
    parsed,  # noqa: ANN001
    fallback: bool = False,
) -> SearchResults:
    base = directory.published()
    if fallback:
        base = _text_filter(base, parsed)
    query = _apply_filters(base, filters)
    total = db.session.scalar(query.with_only_columns(func.count(Service.id))) or 0
    start = (min(params.page, MAX_PAGE) - 1) * PAGE_SIZE
    page_ids = db.session.scalars(
        query.with_only_columns(Service.id)
        .order_by(func.lower(Requis.nom), Requis.id, Service.position, Service.id)
        .offset(start)
        .limit(PAGE_SIZE)
    ).all()
    counts = sql_facet_counts(filters, base)
    return SearchResults(
        params=params,
        services=_load_in_order(list(page_ids)),
        total=total,
        facets=_facet_values(counts, filters),
        engine="sql-secours" if fallback else "sql",
        counts=counts,
    )


# --- presentation -----------------------------------------------------------------------------


def _facet_values(counts: dict[str, Counter], filters: Filters) -> dict[str, list[FacetValue]]:
    """Facet values with a non-zero count, labelled, selected ones kept even at zero."""
    departements = {d.code: d.label for d in directory.departements()}
    regional = counts["departement"].pop(REGIONAL, 0)
    dep_counts = Counter({c: counts["departement"].get(c, 0) + regional for c in departements})
    counts["departement"] = dep_counts
    labels = {
        "departement": departements,
        "specialite": {s.slug: s.libelle for s in directory.specialites()},
        "type": {n.value: n.label for n in NatureRequis},
        "outil": dict(db.session.execute(select(Outil.slug, Outil.nom)).all()),
    }
    selected = {
        "departement": filters.departement,
        "specialite": filters.specialite,
        "type": filters.type,
        "outil": filters.outil,
    }
    result: dict[str, list[FacetValue]] = {}
    for dimension in DIMENSIONS:
        values = [
            FacetValue(value, label, counts[dimension].get(value, 0), selected[dimension] == value)
            for value, label in labels[dimension].items()
            if counts[dimension].get(value, 0) or selected[dimension] == value
        ]
        if dimension in ("specialite", "outil"):
            values.sort(key=lambda v: (-v.count, directory.sort_key(v.label)))
        result[dimension] = values
    return result


# --- unmet demand -----------------------------------------------------------------------------


def record_miss(params: SearchParams, terms: str) -> None:
    """Count a query that found nothing (normalised text + filters, nothing personal).

    Runs in its own short transaction so that a GET request never holds the
    write lock for its whole duration.
    """
    filters = ";".join(
        f"{k}={v}"
        for k, v in (
            ("departement", params.departement),
            ("specialite", params.specialite),
            ("type", params.type),
            ("outil", params.outil),
            ("situe", "1" if params.situe else None),
        )
        if v
    )[:200]
    if not terms and not filters:
        return
    table = SearchMiss.__table__
    dialect = db.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    from ato.directory.models import utcnow

    now = utcnow()
    statement = insert(table).values(
        terms=terms, filters=filters, count=1, first_at=now, last_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["terms", "filters"],
        set_={"count": table.c.count + 1, "last_at": now},
    )
    try:
        with db.engine.begin() as conn:
            conn.execute(statement)
    except Exception:  # statistics must never break a search
        log.exception("Requête sans résultat non enregistrée")
