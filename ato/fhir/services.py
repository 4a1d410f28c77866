"""Reads and searches of the FHIR server: which entries, which page, which resources.

A search works on published entries (requis), the unit in which the directory
changes (:mod:`ato.directory.changes`): a grouped count query says how many
resources of the searched type each entry gives (that is the ``total`` and the
paging), then only the page's entries are loaded (:func:`ato.directory.public.load`,
a constant number of queries) and mapped (:mod:`ato.fhir.resources`). A page
never splits an entry, so it may hold fewer than ``_count`` resources (or more,
for a single entry with more services than ``_count``).

Sync (``_lastUpdated``): the entries whose last public change falls in the
range, ordered by that change, each with *all* its current resources of the
type; an entry with none any more (withdrawn, archived, deleted, or no resource
of that type now) comes once as an inactive tombstone ``<Type>/<requis id>``.
Every resource is tagged with its entry (``meta.tag``, system
``…/fhir/CodeSystem/fiche``): a consumer replaces, for each entry of the
answer, its copies by the active resources the answer gives. The moment to ask
from next time is the answer's ``Bundle.meta.lastUpdated`` minus
:data:`ato.directory.changes.SETTLE` (10 minutes), as
:func:`ato.directory.changes.next_since` computes it.

Errors are :class:`FhirError` with the HTTP status, the FHIR issue code and a
French message; the view turns them into an ``OperationOutcome``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import exists, func, literal, or_, select

from ato.core.models import PARIS, paris_day, utcnow
from ato.directory import changes, public
from ato.directory.models import (
    Canal,
    Departement,
    NatureOutil,
    NatureRequis,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
    service_thematique,
)
from ato.extensions import db
from ato.fhir import resources

DEFAULT_COUNT = 100
MAX_COUNT = 1000
MAX_IDS = 100
#: When the reference data (départements, region) last changed: INSEE's COG in seed/.
REFERENCE_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)

COMMON_PARAMS = {"_id", "_lastUpdated", "_count", "_include", "_format", "_curseur"}
PARAMS = {
    "HealthcareService": {"specialty", "active"},
    "Organization": {"active"},
    "Practitioner": {"active"},
    "PractitionerRole": {"specialty", "active"},
    "Location": set(),
    "Endpoint": set(),
}
#: ``_include`` values: (source type, search parameter) → reference fields followed.
INCLUDES: dict[str, tuple[str, tuple[str, ...]]] = {
    "HealthcareService:providedBy": ("HealthcareService", ("providedBy",)),
    "HealthcareService:organization": ("HealthcareService", ("providedBy",)),
    "HealthcareService:endpoint": ("HealthcareService", ("endpoint",)),
    "HealthcareService:location": ("HealthcareService", ("location",)),
    "HealthcareService:coverage-area": ("HealthcareService", ("coverageArea",)),
    "PractitionerRole:practitioner": ("PractitionerRole", ("practitioner",)),
    "PractitionerRole:service": ("PractitionerRole", ("healthcareService",)),
    "PractitionerRole:location": ("PractitionerRole", ("location",)),
    "Endpoint:organization": ("Endpoint", ("managingOrganization",)),
    "Location:organization": ("Location", ("managingOrganization",)),
}
#: Types of which a published entry may have none left after a change (a service or a
#: channel removed, or a filter): a sync gives a placeholder tombstone for it.
FILTERED = {"HealthcareService", "Endpoint"}
ENTRY_ID = re.compile(r"^([1-9][0-9]{0,9})(?:-([0-9]{1,4})(?:-([0-9]{1,4}))?)?$")
AREA_ID = re.compile(r"^departement-([0-9AB]{2,3})$")


class FhirError(Exception):
    """A request the server refuses: HTTP status, FHIR issue code, French diagnostics."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --- parameters --------------------------------------------------------------------------------

DATE = re.compile(
    r"^(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{2})(?:-(?P<d>[0-9]{2})"
    r"(?:T(?P<H>[0-9]{2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]{1,6}))?)?"
    r"(?P<z>Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$"
)
PREFIXES = ("ge", "gt", "le", "lt", "eq")


def parse_moment(text: str) -> tuple[datetime, datetime]:
    """A FHIR date or dateTime as the span it covers, [start, end), in UTC.

    ``2026-11`` is the whole month; a time without a zone is Europe/Paris time.
    """
    match = DATE.match(text)
    if not match:
        raise ValueError(text)
    parts = match.groupdict()
    year, month, day = int(parts["y"]), int(parts["m"] or 1), int(parts["d"] or 1)
    zone = PARIS
    if parts["z"]:
        if parts["z"] == "Z":
            zone = UTC
        else:
            sign = 1 if parts["z"][0] == "+" else -1
            hours, minutes = int(parts["z"][1:3]), int(parts["z"][4:6])
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    micro = int((parts["f"] or "0").ljust(6, "0"))
    start = datetime(
        year,
        month,
        day,
        int(parts["H"] or 0),
        int(parts["M"] or 0),
        int(parts["S"] or 0),
        micro,
        tzinfo=zone,
    )
    if parts["f"]:
        end = start + timedelta(microseconds=1)
    elif parts["S"]:
        end = start + timedelta(seconds=1)
    elif parts["M"]:
        end = start + timedelta(minutes=1)
    elif parts["d"]:
        end = datetime.combine(
            date(year, month, day) + timedelta(days=1), datetime.min.time(), zone
        )
    elif parts["m"]:
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    else:
        end = datetime(year + 1, 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class Range:
    """``_lastUpdated`` as one interval: ``low <= at < high`` (either open)."""

    low: datetime | None = None
    high: datetime | None = None

    def narrow(self, prefix: str, start: datetime, end: datetime) -> None:
        low, high = {
            "eq": (start, end),
            "ge": (start, None),
            "gt": (end, None),
            "le": (None, end),
            "lt": (None, start),
        }[prefix]
        if low is not None and (self.low is None or low > self.low):
            self.low = low
        if high is not None and (self.high is None or high < self.high):
            self.high = high

    def contains(self, at: datetime) -> bool:
        return (self.low is None or at >= self.low) and (self.high is None or at < self.high)


@dataclass
class Query:
    kind: str
    ids: set[str] | None = None
    updated: Range | None = None
    specialty: tuple[str | None, str] | None = None
    active: bool | None = None
    count: int = DEFAULT_COUNT
    includes: list[str] = field(default_factory=list)
    cursor: tuple[datetime | None, int] | None = None


def _one(args: Any, name: str) -> str:
    values = args.getlist(name)
    if len(values) > 1:
        raise FhirError(400, "invalid", f"Le paramètre « {name} » ne peut être donné qu'une fois.")
    return values[0]


def _values(args: Any, name: str) -> list[str]:
    return [v for raw in args.getlist(name) for v in raw.split(",")]


def parse_query(kind: str, args: Any) -> Query:
    """The search parameters of a request, checked (every error in French)."""
    query = Query(kind)
    allowed = COMMON_PARAMS | PARAMS[kind]
    for name in args:
        if name not in allowed:
            raise FhirError(
                400,
                "not-supported",
                f"Le paramètre de recherche « {name} » n'est pas pris en charge pour {kind} "
                f"(acceptés : {', '.join(sorted(allowed))}).",
            )
    if "_id" in args:
        ids = {v.strip() for v in _values(args, "_id") if v.strip()}
        if not ids or len(ids) > MAX_IDS:
            raise FhirError(
                400,
                "invalid",
                f"« _id » attend de 1 à {MAX_IDS} identifiants séparés par des virgules.",
            )
        query.ids = ids
    if "_lastUpdated" in args:
        query.updated = Range()
        for raw in args.getlist("_lastUpdated"):
            prefix, text = (raw[:2], raw[2:]) if raw[:2].isalpha() else ("eq", raw)
            if prefix not in PREFIXES:
                raise FhirError(
                    400,
                    "invalid",
                    f"Préfixe « {prefix} » non pris en charge pour « _lastUpdated » "
                    "(acceptés : ge, gt, le, lt, eq).",
                )
            try:
                start, end = parse_moment(text)
            except ValueError:
                raise FhirError(
                    400,
                    "invalid",
                    f"Date invalide pour « _lastUpdated » : « {raw} ». Format attendu : "
                    "ge2026-11-29 ou ge2026-11-29T10:00:00Z.",
                ) from None
            query.updated.narrow(prefix, start, end)
    if "specialty" in args:
        raw = _one(args, "specialty").strip()
        system, _, code = raw.rpartition("|")
        if not code:
            raise FhirError(400, "invalid", "« specialty » attend un code, ou système|code.")
        query.specialty = (system or None, code)
    if "active" in args:
        raw = _one(args, "active")
        if raw not in ("true", "false"):
            raise FhirError(400, "invalid", "« active » vaut true ou false.")
        query.active = raw == "true"
    if "_count" in args:
        raw = _one(args, "_count")
        if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_COUNT):
            raise FhirError(
                400, "invalid", f"« _count » attend un nombre entier de 0 à {MAX_COUNT}."
            )
        query.count = int(raw)
    for value in args.getlist("_include"):
        if value not in INCLUDES or INCLUDES[value][0] != kind:
            known = [k for k, (source, _) in INCLUDES.items() if source == kind]
            raise FhirError(
                400,
                "not-supported",
                f"« _include={value} » n'est pas pris en charge pour {kind} "
                f"(acceptés : {', '.join(known) or 'aucun'}).",
            )
        query.includes.append(value)
    if "_curseur" in args:
        query.cursor = parse_cursor(_one(args, "_curseur"), query.updated is not None)
    return query


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def cursor_text(at: datetime | None, requis_id: int) -> str:
    if at is None:
        return str(requis_id)
    return f"{(at - EPOCH) // timedelta(microseconds=1)}.{requis_id}"


def parse_cursor(text: str, dated: bool) -> tuple[datetime | None, int]:
    bad = FhirError(
        400,
        "invalid",
        "Le curseur de page « _curseur » est invalide : "
        "suivez le lien « next » de la page précédente.",
    )
    parts = text.split(".")
    if not all(p.isascii() and p.isdigit() and len(p) <= 18 for p in parts):
        raise bad
    if dated and len(parts) == 2:
        return EPOCH + timedelta(microseconds=int(parts[0])), int(parts[1])
    if not dated and len(parts) == 1:
        return None, int(parts[0])
    raise bad


# --- what each entry gives ---------------------------------------------------------------------


def _specialty_match(system: str | None, code: str, base: str) -> Any:
    """SQL: a Specialite row that the token ``system|code`` names."""
    ours = resources.systems(base)["specialites"]
    terms = []
    if system in (None, resources.TRE_R38):
        terms.append(Specialite.code_r38 == code)
    if system in (None, ours):
        terms.append(Specialite.slug == code)
    return or_(*terms) if terms else None


def _service_has_specialty(system: str | None, code: str, base: str) -> Any:
    match = _specialty_match(system, code, base)
    if match is None:
        return False
    main = exists().where(Specialite.id == Service.specialite_id, match)
    tagged = exists().where(
        service_thematique.c.service_id == Service.id,
        Specialite.id == service_thematique.c.specialite_id,
        match,
    )
    return or_(main, tagged)


def counts(
    query: Query, base: str, *, after: int | None = None, limit: int | None = None
) -> dict[int, int]:
    """How many resources of ``query.kind`` each published entry gives (0s left out), in
    the order of entry ids; ``after`` and ``limit`` give one page of entries."""
    stmt = _counts_statement(query, base)
    if after is not None:
        stmt = stmt.where(stmt.selected_columns[0] > after)
    if limit is not None:
        stmt = stmt.order_by(stmt.selected_columns[0]).limit(limit)
    return {requis_id: n for requis_id, n in db.session.execute(stmt) if n}


def total(query: Query, base: str) -> int:
    """The sum of :func:`counts`, computed by the database."""
    sub = _counts_statement(query, base).subquery()
    # int(): PostgreSQL sums integers as numeric (a Decimal), SQLite as an integer
    return int(db.session.scalar(select(func.coalesce(func.sum(sub.c[1]), 0))) or 0)


def _counts_statement(query: Query, base: str) -> Any:
    published = Requis.statut == Statut.PUBLIEE
    kind = query.kind
    specialty = query.specialty
    if kind == "HealthcareService":
        stmt = select(Service.requis_id, func.count()).join(Requis, Requis.id == Service.requis_id)
        stmt = stmt.where(published)
        if specialty:
            stmt = stmt.where(_service_has_specialty(*specialty, base))
        stmt = stmt.group_by(Service.requis_id)
    elif kind == "Endpoint":
        stmt = (
            select(Service.requis_id, func.count())
            .select_from(Canal)
            .join(Outil, Outil.id == Canal.outil_id)
            .join(Service, Service.id == Canal.service_id)
            .join(Requis, Requis.id == Service.requis_id)
            .where(published, Outil.nature != NatureOutil.TELEPHONE)
            .group_by(Service.requis_id)
        )
    else:
        stmt = select(Requis.id, literal(1)).where(published)
        if kind == "Organization":
            stmt = stmt.where(Requis.nature != NatureRequis.LIBERAL)
        elif kind in ("Practitioner", "PractitionerRole"):
            stmt = stmt.where(Requis.nature == NatureRequis.LIBERAL)
        if specialty:
            stmt = stmt.where(
                exists().where(
                    Service.requis_id == Requis.id, _service_has_specialty(*specialty, base)
                )
            )
    return stmt


@dataclass(frozen=True)
class Candidate:
    requis_id: int
    at: datetime | None  # its last change (sync), None for a plain search
    published: bool


def _specialty_of(resource: dict[str, Any], token: tuple[str | None, str], base: str) -> bool:
    system, code = token
    return any(
        coding["code"] == code and (system is None or coding["system"] == system)
        for concept in resource.get("specialty", [])
        for coding in concept["coding"]
    )


def _fiche_url(requis: Any, base: str) -> str:
    return f"{base}/requis/{requis.id}/{requis.slug}"


@dataclass
class Loaded:
    """The resources of a set of entries, by entry and by ``Type/id``."""

    by_entry: dict[int, dict[str, list[dict]]]
    by_ref: dict[str, dict]


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def build(requis_ids: Iterable[int], base: str, kinds: set[str] | None = None) -> Loaded:
    """Load published entries and map them (a constant number of queries)."""
    shapes = public.shapes(
        requis_ids, today=paris_day(), base=base, url=lambda requis: _fiche_url(requis, base)
    )
    by_entry: dict[int, dict[str, list[dict]]] = {}
    by_ref: dict[str, dict] = {}
    for requis_id, rec in shapes.items():
        updated = _moment(rec["modifie_le"]) or _moment(rec["publie_le"]) or utcnow()
        made = resources.entry_resources(rec, base, updated, kinds)
        by_entry[requis_id] = made
        for kind, items in made.items():
            for item in items:
                by_ref[f"{kind}/{item['id']}"] = item
    return Loaded(by_entry, by_ref)


def _matching(query: Query, made: dict[str, list[dict]], base: str) -> list[dict]:
    """The resources of one entry that the query's resource-level filters keep."""
    found = made[query.kind]
    if query.specialty is not None:
        if query.kind == "HealthcareService":
            found = [r for r in found if _specialty_of(r, query.specialty, base)]
        elif not any(_specialty_of(r, query.specialty, base) for r in made["HealthcareService"]):
            found = []
    if query.ids is not None:
        found = [r for r in found if r["id"] in query.ids]
    return found


def _ids_to_entries(ids: set[str]) -> set[int]:
    found = set()
    for ident in ids:
        if match := ENTRY_ID.match(ident):
            found.add(int(match.group(1)))
    return found


@dataclass
class Page:
    total: int
    matches: list[dict]
    included: list[dict]
    next_cursor: str | None


def search(query: Query, base: str) -> Page:
    """One page of a search (see the module's doc for the sync semantics)."""
    counted: int | None = None
    if query.updated is None and query.ids is None:  # the common case: one page of entries
        after = query.cursor[1] if query.cursor is not None else None
        per_entry = counts(query, base, after=after, limit=query.count + 1)
        counted = total(query, base)
        candidates = [Candidate(r, None, True) for r in per_entry]
    else:
        per_entry = counts(query, base)
    if query.updated is None:
        if counted is None:
            candidates = [Candidate(r, None, True) for r in sorted(per_entry)]
        if query.active is False:
            candidates, counted = [], 0
    else:
        low = query.updated.low
        candidates = [
            Candidate(c.requis_id, c.at, c.published)
            for c in changes.since(low)
            if query.updated.contains(c.at)
        ]
    if query.ids is not None:
        wanted = _ids_to_entries(query.ids)
        candidates = [c for c in candidates if c.requis_id in wanted]
    exact: dict[int, list[dict]] | None = None
    loaded = Loaded({}, {})
    if query.ids is not None:  # few entries: count exactly what they give
        loaded = build([c.requis_id for c in candidates if c.published], base, _kinds(query))
        exact = {
            c.requis_id: _matching(query, loaded.by_entry[c.requis_id], base)
            for c in candidates
            if c.requis_id in loaded.by_entry
        }

    def given(c: Candidate) -> int:
        """Resources the candidate gives: its own, or 1 tombstone in a sync (0 if filtered)."""
        n = len(exact.get(c.requis_id, [])) if exact is not None else per_entry.get(c.requis_id, 0)
        n = n if c.published else 0
        if n:
            return n if query.active is not False else 0
        if query.updated is None or query.active is True:
            return 0
        if c.published and query.kind not in FILTERED and query.specialty is None:
            return 0  # the entry never gives this type (a liberal has no Organization)
        if query.ids is not None and str(c.requis_id) not in query.ids:
            return 0
        return 1

    sized = [(c, given(c)) for c in candidates]
    sized = [(c, n) for c, n in sized if n]
    found_total = sum(n for _, n in sized) if counted is None else counted
    if query.cursor is not None:
        at, last = query.cursor
        sized = [
            (c, n)
            for c, n in sized
            if (c.at is None and c.requis_id > last)
            or (c.at is not None and at is not None and (c.at, c.requis_id) > (at, last))
        ]
    page: list[tuple[Candidate, int]] = []
    filled = 0
    for c, n in sized:
        if filled >= query.count or (page and filled + n > query.count):
            break
        page.append((c, n))
        filled += n
    more = len(page) < len(sized)
    if exact is None:
        loaded = build([c.requis_id for c, _ in page if c.published], base, _kinds(query))
    matches: list[dict] = []
    for c, _ in page:
        made = loaded.by_entry.get(c.requis_id) if c.published else None
        found = _matching(query, made, base) if made is not None else []
        if found and query.active is not False:
            matches.extend(found)
        elif query.updated is not None and query.active is not True:
            if c.published and query.kind not in FILTERED and query.specialty is None and made:
                continue
            matches.append(resources.tombstone(query.kind, c.requis_id, base, c.at or utcnow()))
    included = _included(query, matches, loaded, base)
    next_cursor = cursor_text(page[-1][0].at, page[-1][0].requis_id) if more and page else None
    return Page(found_total, matches, included, next_cursor)


INCLUDE_TARGETS = {
    "providedBy": "Organization",
    "managingOrganization": "Organization",
    "endpoint": "Endpoint",
    "location": "Location",
    "coverageArea": "Location",
    "practitioner": "Practitioner",
    "healthcareService": "HealthcareService",
}


def _kinds(query: Query) -> set[str]:
    """The types a search must map: its own, its includes', and services for a filter."""
    kinds = {query.kind}
    for value in query.includes:
        kinds |= {INCLUDE_TARGETS[name] for name in INCLUDES[value][1]}
    if query.specialty is not None:
        kinds.add("HealthcareService")
    return kinds


def _references(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [value["reference"]] if "reference" in value else []
    if isinstance(value, list):
        return [r for item in value for r in _references(item)]
    return []


def _included(query: Query, matches: list[dict], loaded: Loaded, base: str) -> list[dict]:
    seen = {f"{r['resourceType']}/{r['id']}" for r in matches}
    out = []
    areas = None
    for value in query.includes:
        _, fields = INCLUDES[value]
        for resource in matches:
            for name in fields:
                for reference in _references(resource.get(name)):
                    if reference in seen:
                        continue
                    target = loaded.by_ref.get(reference)
                    if target is None and reference.startswith("Location/"):
                        areas = areas if areas is not None else coverage_areas(base)
                        target = areas.get(reference)
                    if target is not None:
                        seen.add(reference)
                        out.append(target)
    return out


def coverage_areas(base: str) -> dict[str, dict]:
    """The département and region Locations, by ``Location/id``."""
    found = {}
    region = resources.area(
        resources.region_id(), resources.REGION["nom"], REFERENCE_UPDATED, base, False
    )
    found[f"Location/{region['id']}"] = region
    for dep in db.session.scalars(select(Departement).order_by(Departement.code)):
        item = resources.area(
            resources.departement_id(dep.code), dep.nom, REFERENCE_UPDATED, base, True
        )
        found[f"Location/{item['id']}"] = item
    return found


# --- read --------------------------------------------------------------------------------------


def read(kind: str, ident: str, base: str) -> dict[str, Any]:
    """One resource; 404 when it does not exist, 410 when its entry was withdrawn."""
    missing = FhirError(404, "not-found", f"{kind}/{ident} n'existe pas dans l'annuaire.")
    if kind == "Location" and (AREA_ID.match(ident) or ident == resources.region_id()):
        found = coverage_areas(base).get(f"Location/{ident}")
        if found is None:
            raise missing
        return found
    match = ENTRY_ID.match(ident)
    if not match:
        raise missing
    requis_id = int(match.group(1))
    loaded = build([requis_id], base)
    if requis_id in loaded.by_entry:
        found = loaded.by_ref.get(f"{kind}/{ident}")
        if found is None:
            raise missing
        return found
    depth = 1 + (match.group(2) is not None) + (match.group(3) is not None)
    shape = {"HealthcareService": 2, "Endpoint": 3}.get(kind, 1)
    if changes.last_modified([requis_id]) and depth in (1, shape):
        raise FhirError(
            410,
            "deleted",
            f"{kind}/{ident} a été retiré de l'annuaire (fiche archivée ou supprimée).",
        )
    raise missing


# --- capability --------------------------------------------------------------------------------

SEARCH_PARAMS = {
    "_id": ("token", "Identifiant logique de la ressource (plusieurs, séparés par des virgules)."),
    "_lastUpdated": (
        "date",
        "Dernière modification publique de la fiche (préfixes ge, gt, le, lt, eq). "
        "Synchronisation : "
        "renvoie aussi les fiches retirées (archivées, supprimées) sous forme de ressources "
        "inactives sans contenu ; voir la documentation du serveur.",
    ),
    "specialty": (
        "token",
        "Spécialité : code TRE_R38 de l'ANS (système "
        + resources.TRE_R38
        + ") ou code ATO de la spécialité ou thématique ; système|code ou code seul.",
    ),
    "active": ("token", "true ou false (false : seulement les retraits, avec _lastUpdated)."),
}

SYNC_DOC = (
    "Serveur FHIR R4 en lecture seule de l'Annuaire de Télé-expertise d'Occitanie (ATO) : "
    "fiches publiées uniquement, sans personne de contact ni donnée interne.\n\n"
    "Synchronisation : chaque ressource porte dans meta.tag (système "
    "<base>/fhir/CodeSystem/fiche) l'identifiant de sa fiche. Une recherche avec "
    "_lastUpdated=ge<moment> renvoie, pour chaque fiche modifiée depuis ce moment, toutes ses "
    "ressources actuelles du type cherché ; une fiche retirée (archivée, refusée en révision, "
    "supprimée) ou qui n'a plus de ressource de ce type figure une fois comme ressource "
    "inactive sans contenu (active=false, Location.status=inactive, Endpoint.status=off) "
    "d'identifiant égal à celui de la fiche. Le client remplace, pour chaque fiche de la "
    "réponse, ses copies par les ressources actives reçues (toutes pages lues). Moment de la "
    "synchronisation suivante : Bundle.meta.lastUpdated de la première page moins 10 minutes "
    "(une transaction peut être validée en retard ; recevoir deux fois un changement est sans "
    "effet). Une lecture directe d'une ressource retirée répond 410 Gone.\n\n"
    "Pagination : _count (0 à 1000, 100 par défaut), lien next ; une page ne coupe jamais "
    "une fiche. Format : JSON uniquement (_format=json) ; XML refusé (406)."
)


def capability(base: str) -> dict[str, Any]:
    """The CapabilityStatement of ``GET /fhir/metadata``."""
    rest_resources = []
    for kind in resources.TYPES:
        names = ["_id", "_lastUpdated", *sorted(PARAMS[kind])]
        rest_resources.append(
            {
                "type": kind,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "versioning": "no-version",
                "readHistory": False,
                "conditionalRead": "not-supported",
                "searchInclude": [k for k, (source, _) in INCLUDES.items() if source == kind],
                "searchParam": [
                    {"name": n, "type": SEARCH_PARAMS[n][0], "documentation": SEARCH_PARAMS[n][1]}
                    for n in names
                ],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "id": "ato",
        "url": f"{base}/fhir/metadata",
        "name": "ATOServeurFHIR",
        "title": "ATO — serveur FHIR de l'annuaire de télé-expertise",
        "status": "active",
        "date": REFERENCE_UPDATED.date().isoformat(),
        "publisher": "ATO — Annuaire de Télé-expertise d'Occitanie",
        "description": SYNC_DOC,
        "kind": "instance",
        "software": {"name": "ATO"},
        "implementation": {"description": "ATO, annuaire régional", "url": f"{base}/fhir"},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": SYNC_DOC,
                "resource": rest_resources,
            }
        ],
    }
