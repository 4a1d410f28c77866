"""Search: which published services answer a query, in what order, and why.

The database is the truth. The index says *which* services match and in what
order; the services shown are reloaded from the database (and dropped if no
longer published). When the index is unavailable, SQL answers alone.

Ranking (see :func:`_ranked`): Whoosh's BM25F over a weighted text field, with
bonuses for the query's words together and for locality (located in the
département asked for > accepting requests from it > region-wide); strict
tiers: direct matches before CIM-11 expansions, available before closed today (a
closure's dates are read at query time, never frozen in the index); equal scores ordered
by name, then id. Listings without words (or sorted by name) also put today's closed
services last.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload
from whoosh import scoring
from whoosh.searching import Searcher
from whoosh.spelling import ListCorrector

from ato.core.models import paris_day, utcnow
from ato.directory import services as directory
from ato.directory.models import (
    Canal,
    NatureRequis,
    NatureSpecialite,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
    service_thematique,
)
from ato.extensions import db
from ato.search import clinical, sync
from ato.search import query as query_module
from ato.search.analysis import WORD, fold
from ato.search.documents import REGIONAL
from ato.search.index import FacetTable, IndexUnavailable
from ato.search.models import SearchMiss

log = logging.getLogger(__name__)

PAGE_SIZE = 20
TIE_WINDOW = 50  # hits collected past the page, so that equal scores are ordered by name
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
    group: str = ""  # a specialty's kind: the specialties, then the thématiques


@dataclass(frozen=True)
class Expansion:
    """What a CIM-11 concept of the query was taken to mean (shown to the user)."""

    words: str  # as typed (folded)
    code: str
    title: str
    specialites: tuple[tuple[str, str], ...]  # (slug, label)


@dataclass
class SearchResults:
    params: SearchParams
    services: list[Service]
    total: int
    facets: dict[str, list[FacetValue]]
    engine: Literal["index", "sql", "sql-secours"]
    departements: tuple[str, ...] = ()  # effective filter (explicit or from place words)
    place_words: list[str] = field(default_factory=list)  # as typed, when inferred
    q_without_places: str = ""  # the text with those place words removed
    suggestion: str | None = None
    highlight: tuple[frozenset[str], tuple[str, ...]] = (frozenset(), ())
    counts: dict[str, Counter] = field(default_factory=dict)
    no_words: bool = False  # the text had nothing searchable (only stop words or symbols)
    expansions: list[Expansion] = field(default_factory=list)
    expanded: dict[int, list[str]] = field(default_factory=dict)  # service id -> why (expansion)

    @property
    def departement(self) -> str | None:
        """The département when exactly one is in effect (facets, badges)."""
        return self.departements[0] if len(self.departements) == 1 else None

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, math.ceil(self.total / PAGE_SIZE)))


@dataclass(frozen=True)
class Filters:
    departements: tuple[str, ...]  # any of them (a filter, or several place words)
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
    vocab = query_module.vocabulary()
    parsed = query_module.parse(params.q, vocab)
    filters = _filters(params, parsed)
    if _nothing_searchable(params, parsed, filters):
        empty = {d: Counter() for d in DIMENSIONS}
        return SearchResults(
            params=params,
            services=[],
            total=0,
            no_words=True,
            facets=_facet_values(empty, filters),
            engine="sql",
        )

    def with_sql() -> SearchResults:
        return _search_sql(params, filters, parsed, fallback=parsed.has_text)

    if sql_only:
        result = with_sql()
    else:
        result = _index_else_sql(lambda: _search_index(params, parsed, filters), with_sql)
    result.departements = filters.departements
    result.place_words = [p.words for p in parsed.places] if not params.departement else []
    result.q_without_places = parsed.without_places
    result.highlight = parsed.highlight_stems(vocab)
    result.expansions = [
        Expansion(
            words=words,
            code=match.code,
            title=match.title,
            specialites=tuple((s, vocab.labels[s]) for s in match.slugs if s in vocab.labels),
        )
        for words, match in _expansions(parsed)
    ]
    if result.total == 0 and parsed.has_text:
        result.suggestion = _suggest(parsed, vocab) if result.engine == "index" else None
    return result


def _index_else_sql(from_index, from_sql):  # noqa: ANN001, ANN202
    """The index's answer; a missing or damaged index is rebuilt once, and if it still
    cannot answer, SQL does (logged: staff see the search slower, never failing)."""
    try:
        try:
            return from_index()
        except IndexUnavailable:
            sync.mark_unready()  # deleted or damaged since the last search: rebuild once
            return from_index()
    except IndexUnavailable as exc:
        log.error("Recherche servie par SQL, index indisponible : %s", str(exc))
        return from_sql()


def _filters(params: SearchParams, parsed) -> Filters:  # noqa: ANN001
    return Filters(
        departements=(params.departement,) if params.departement else parsed.place_codes,
        situe=params.situe,
        specialite=params.specialite,
        type=params.type,
        outil=params.outil,
    )


def _nothing_searchable(params: SearchParams, parsed, filters: Filters) -> bool:  # noqa: ANN001
    """Words were typed but none can be searched (stop words, symbols) and nothing filters."""
    has_filter = any((filters.departements, filters.specialite, filters.type, filters.outil))
    return bool(params.q.strip()) and not (parsed.has_text or has_filter)


def matching_requis(params: SearchParams) -> set[int]:
    """Every published requis with a service that :func:`search` finds for ``params``.

    The same words, places, CIM-11 expansions and filters as the site's search
    (the index, else SQL), without ranking or pages: the API lists these
    entries in its own stable order. ``page`` and ``tri`` are not read.
    """
    vocab = query_module.vocabulary()
    parsed = query_module.parse(params.q, vocab)
    filters = _filters(params, parsed)
    if _nothing_searchable(params, parsed, filters):
        return set()

    def from_sql() -> set[int]:
        base = directory.published()
        if parsed.has_text:
            base = _text_filter(base, parsed)
        query = _apply_filters(base, filters).with_only_columns(Requis.id).distinct()
        return set(db.session.scalars(query))

    return _index_else_sql(lambda: _requis_of(_matching_index(parsed, filters)), from_sql)


def _requis_of(service_ids: set[int]) -> set[int]:
    """The published requis of these services."""
    pairs = directory.published().with_only_columns(Service.id, Service.requis_id)
    if len(service_ids) <= MATCH_IN_LIST:
        pairs = pairs.where(Service.id.in_(service_ids))
    return {requis_id for sid, requis_id in db.session.execute(pairs) if sid in service_ids}


MATCH_IN_LIST = 2000  # beyond, every published (service, requis) pair is read in one query


def _matching_index(parsed, filters: Filters) -> set[int]:  # noqa: ANN001
    sync.ensure_ready()
    with sync.get_index().searcher() as (searcher, table):
        matched = match_bits(searcher.reader(), table, parsed) if parsed.has_text else table.live
        result = matched & _filter_bits(table, filters)
        return {table.rows[d].service_id for d in table.docnums(result)}


# --- index path -------------------------------------------------------------------------------


def _filter_bits(table: FacetTable, filters: Filters, skip: str | None = None) -> int:
    """Documents passing every filter but ``skip``, as a bitset."""
    mask = table.live
    if skip != "departement" and filters.departements:
        wanted = 0
        for code in filters.departements:
            wanted |= table.value("situe" if filters.situe else "accepte", code)
        if not filters.situe:
            wanted |= table.value("accepte", REGIONAL)
        mask &= wanted
    if skip != "specialite" and filters.specialite:
        mask &= table.value("specialite", filters.specialite)
    if skip != "type" and filters.type:
        mask &= table.value("type", filters.type)
    if skip != "outil" and filters.outil:
        mask &= table.value("outil", filters.outil)
    return mask


def _facet_counts(table: FacetTable, matched: int, filters: Filters) -> dict[str, Counter]:
    """Disjunctive facet counts: each dimension is counted with the *other* filters only."""
    counts: dict[str, Counter] = {}
    for dimension, bits_name in (
        ("departement", "situe" if filters.situe else "accepte"),
        ("specialite", "specialite"),
        ("type", "type"),
        ("outil", "outil"),
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


def match_bits(reader, table: FacetTable, parsed, expanded: bool = True) -> int:  # noqa: ANN001
    """The documents the query matches, as a bitset, from cached posting bitsets: what
    ``query.text_query`` matches (``expanded``), or its words alone, without CIM-11 expansion.

    Whoosh's own ``docs_for_query`` walks every match through Python matchers
    (about 10× slower here); totals and facet counts need the set, not the scores.
    """
    bits = table.term_bits

    def word(term: str) -> int:
        return bits(reader, query_module.TEXT_FIELD, term)

    def specialties(slugs: tuple[str, ...]) -> int:
        found = 0
        for slug in slugs:
            found |= bits(reader, "specs", slug)
        return found

    covered = {s: (n, m) for s, n, m in parsed.expansions} if expanded else {}
    result = table.live
    i = 0
    while i < len(parsed.terms):
        size, match = covered.get(i, (1, None))
        own = table.live
        for term in parsed.terms[i : i + size]:
            own &= word(term)
        result &= own | specialties(match.slugs) if match else own
        i += size
    for n, (slug, key) in enumerate(parsed.concepts):
        own = bits(reader, "spec", slug) | bits(reader, "specs", slug)
        for group in query_module.concept_words(key, parsed.label_key(slug)):
            together = table.live
            for term in group:
                together &= word(term)
            own |= together
        match = parsed.concept_expansions.get(n) if expanded else None
        result &= own | specialties(match.slugs) if match else own
    if parsed.prefix:
        found = 0
        for n, text in enumerate(reader.expand_prefix(query_module.TEXT_FIELD, parsed.prefix)):
            if n == MAX_PREFIX_TERMS:
                break
            found |= word(text.decode() if isinstance(text, bytes) else text)
        result &= found
    return result


WEIGHTING = scoring.BM25F(B=0.5, K1=1.2)


def _ranked(  # noqa: PLR0913
    searcher: Searcher,
    table: FacetTable,
    parsed,  # noqa: ANN001
    matched: int,
    result: int,
    direct: int,
    filters: Filters,
    keep: int,
) -> list[int]:
    """Docnums of the best ``keep`` documents of ``result``.

    Strict tiers, each ranked by Whoosh (BM25F with the query's bonuses, top-k
    with its block-max pruning): direct matches before CIM-11 expansions only,
    and within each, available services before temporarily unavailable ones.
    Equal scores are ordered by name, then id.
    """
    query = query_module.text_query(parsed, filters.departements)
    direct &= result
    off = table.closed_on(paris_day()) & result
    tiers = [direct & ~off, direct & off] if off else [direct]
    if direct != result:
        expansion_only = result & ~direct
        tiers += [expansion_only & ~off, expansion_only & off] if off else [expansion_only]
    scorer = Searcher(searcher.reader(), weighting=WEIGHTING, closereader=False)
    rows = table.rows
    ordered: list[int] = []
    for tier in tiers:
        need = keep - len(ordered)
        if need <= 0:
            break
        if not tier:  # Whoosh reads an empty filter as no filter at all
            continue
        allowed = None if tier == matched else set(table.docnums(tier))
        hits = scorer.search(query, filter=allowed, limit=need + TIE_WINDOW)
        best = sorted(
            ((round(hit.score, 6), hit.docnum) for hit in hits),
            key=lambda h: (-h[0], rows[h[1]].sort_name, rows[h[1]].service_id),
        )
        ordered += [docnum for _, docnum in best[:need]]
    return ordered


def _search_index(params: SearchParams, parsed, filters: Filters) -> SearchResults:  # noqa: ANN001
    """Matching and ranking by Whoosh; totals, filters and facets on the index's bitsets."""
    sync.ensure_ready()
    keep = min(params.page, MAX_PAGE) * PAGE_SIZE
    with sync.get_index().searcher() as (searcher, table):
        reader = searcher.reader()
        wanted = _filter_bits(table, filters)
        matched = match_bits(reader, table, parsed) if parsed.has_text else table.live
        # What the words match without CIM-11 expansion: ranked first, and no "why" shown.
        direct = matched
        if parsed.all_expansions():
            direct = match_bits(reader, table, parsed, expanded=False)
        result = matched & wanted
        if parsed.has_text and params.tri != "nom":
            docnums = _ranked(searcher, table, parsed, matched, result, direct, filters, keep)
        else:  # by name, services closed today after the others
            off = table.closed_on(paris_day()) & result
            docnums = table.first_by_name(result & ~off, keep)
            docnums += table.first_by_name(off, keep - len(docnums))
        page = docnums[keep - PAGE_SIZE : keep]
        ordered = [table.rows[d].service_id for d in page]
        counts = _facet_counts(table, matched, filters)
        expanded_ids = {table.rows[d].service_id for d in page if not direct >> d & 1}
    services = _load_in_order(ordered)
    return SearchResults(
        params=params,
        services=services,
        total=result.bit_count(),
        facets=_facet_values(counts, filters),
        engine="index",
        counts=counts,
        expanded=_why_expanded(services, expanded_ids, parsed),
    )


def _expansions(parsed) -> list[tuple[str, clinical.Match]]:  # noqa: ANN001
    """The query's CIM-11 expansions with the words (as folded) that named them."""
    found = [
        (" ".join(parsed.free_words[start : start + size]), match)
        for start, size, match in parsed.expansions
    ]
    found += [(parsed.concept_words[n], m) for n, m in parsed.concept_expansions.items()]
    return found


def _why_expanded(services: list[Service], ids: set[int], parsed) -> dict[int, list[str]]:  # noqa: ANN001
    """For results found only through a CIM-11 expansion: which concept led to them."""
    why: dict[int, list[str]] = {}
    for service in services:
        if service.id not in ids:
            continue
        slugs = {service.specialite.slug, *(t.slug for t in service.thematiques)}
        for words, match in _expansions(parsed):
            if slugs & set(match.slugs):
                why.setdefault(service.id, []).append(f"« {words} » : {match.title} ({match.code})")
    return why


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
        if s.requis.statut == Statut.PUBLIEE
    }
    missing = [i for i in ids if i not in loaded]
    if missing:
        log.warning("Index en avance sur la base (services %s non publiés) : rattrapage", missing)
    return [loaded[i] for i in ids if i in loaded]


def _suggest(parsed, vocab: query_module.Vocabulary) -> str | None:  # noqa: ANN001
    """'Vouliez-vous dire …': the query with each unknown word replaced by the closest
    known one, everything else as typed; never applied by itself.

    Known words are those of the published directory, of specialty labels,
    synonyms and abbreviations, of départements, and of the CIM-11 titles.
    """
    try:
        with sync.get_index().searcher() as (searcher, _):
            reader = searcher.reader()
            index_words = searcher.corrector("mots")
            lists = [
                ListCorrector(vocab.spelling_sorted),
                ListCorrector(clinical.spelling_words()),
            ]
            corrections: dict[str, str] = {}
            for word in parsed.free_words:
                known = (
                    ("mots", word) in reader
                    or word in vocab.spelling
                    or clinical.is_spelled_word(word)
                )
                if len(word) >= 4 and not known:
                    best = _closest(word, index_words, lists)
                    if best:
                        corrections[word] = best
    except IndexUnavailable:
        return None
    if not corrections:
        return None
    return WORD.sub(lambda m: corrections.get(fold(m.group(0)), m.group(0)), parsed.raw)


def _closest(word: str, index_corrector, lists: list) -> str | None:  # noqa: ANN001
    """The nearest known word, one edit before two. The directory's own words keep their
    first letter (a large list); the short lists of synonyms and CIM-11 words need not."""
    for distance in (1, 2):
        found = index_corrector.suggest(word, limit=1, maxdist=distance, prefix=1)
        for corrector in lists:
            found = found or corrector.suggest(word, limit=1, maxdist=distance, prefix=0)
        if found:
            return found[0]
    return None


# --- SQL path ---------------------------------------------------------------------------------


def _apply_filters(query: Select, filters: Filters, skip: str | None = None) -> Select:
    if skip != "departement" and filters.departements:
        if filters.situe:
            query = query.where(Requis.departement_code.in_(filters.departements))
        else:
            query = directory.filter_accepting_from(query, *filters.departements)
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
        pairs = directory.coverage().subquery()
        pairs = (
            select(pairs.c.departement_code.label("code"), pairs.c.service_id.label("sid"))
            .where(pairs.c.service_id.in_(select(dep_ids.c.id)))
            .subquery()
        )
        rows = db.session.execute(
            select(pairs.c.code, func.count(func.distinct(pairs.c.sid))).group_by(pairs.c.code)
        )
        counts["departement"] = Counter(dict(rows.all()))

    spec_ids = ids("specialite")
    pairs = directory.specialties().subquery()
    rows = db.session.execute(
        select(Specialite.slug, func.count(func.distinct(pairs.c.service_id)))
        .join(pairs, pairs.c.specialite_id == Specialite.id)
        .where(pairs.c.service_id.in_(select(spec_ids.c.id)))
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
        .order_by(
            directory.closed_on(paris_day()),
            func.lower(Requis.nom),
            Requis.id,
            Service.position,
            Service.id,
        )
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


# The specialty facet in two groups, as the directory's own lists name them.
FACET_GROUPS = {
    NatureSpecialite.SPECIALITE: "Spécialités médicales",
    NatureSpecialite.THEMATIQUE: "Pathologies et thématiques",
}
_GROUP_ORDER = {label: i for i, label in enumerate(FACET_GROUPS.values())}


def _facet_values(counts: dict[str, Counter], filters: Filters) -> dict[str, list[FacetValue]]:
    """Facet values with a non-zero count, labelled, selected ones kept even at zero.

    A département counts the services that *also* match the other filters, so
    the one in effect shows how many results it gives, never "(0)".
    """
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
        "departement": filters.departements[0] if len(filters.departements) == 1 else None,
        "specialite": filters.specialite,
        "type": filters.type,
        "outil": filters.outil,
    }
    groups = {"specialite": {s.slug: FACET_GROUPS[s.nature] for s in directory.specialites()}}
    result: dict[str, list[FacetValue]] = {}
    for dimension in DIMENSIONS:
        values = [
            FacetValue(
                value,
                label,
                counts[dimension].get(value, 0),
                selected[dimension] == value,
                groups.get(dimension, {}).get(value, ""),
            )
            for value, label in labels[dimension].items()
            if counts[dimension].get(value, 0) or selected[dimension] == value
        ]
        if dimension in ("specialite", "outil"):
            values.sort(
                key=lambda v: (_GROUP_ORDER.get(v.group, 0), -v.count, directory.sort_key(v.label))
            )
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
    now = utcnow()
    statement = insert(table).values(
        terms=terms, filters=filters, count=1, first_at=now, last_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=["terms", "filters"],
        set_={"count": table.c.count + 1, "last_at": now},
    )
    bump = (
        table.update()
        .where(table.c.terms == terms, table.c.filters == filters)
        .values(count=table.c.count + 1, last_at=now)
    )
    limit = current_app.config["ATO_SEARCH_MISSES_MAX"]
    try:
        # A full table only counts the queries it already holds: anyone can type new ones.
        # (Read apart from the write: on SQLite a write transaction must not start by reading.)
        with db.engine.connect() as conn:
            full = conn.execute(select(func.count()).select_from(table)).scalar_one() >= limit
        with db.engine.begin() as conn:
            conn.execute(bump if full else statement)
    except Exception:  # statistics must never break a search
        log.exception("Requête sans résultat non enregistrée")
