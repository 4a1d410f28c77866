"""Read and write operations on the directory.

Plain functions over the session: they ``flush`` when they write and never
commit; the view or CLI command that calls them commits once. Public reads go
through :func:`published` so that nothing unpublished can leak into a page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import g, has_app_context
from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, select, true, union
from sqlalchemy.orm import selectinload

from ato.core.models import paris_day, utcnow
from ato.core.text import fold
from ato.directory.models import (
    LIVE_STATUTS,
    STALE_AFTER,
    Canal,
    Departement,
    NatureRequis,
    NatureSpecialite,
    Outil,
    Requis,
    Service,
    Specialite,
    Statut,
    service_departement,
    service_thematique,
)
from ato.extensions import db

# Everything a service card shows, loaded in a constant number of queries.
SERVICE_CARD_OPTIONS = (
    selectinload(Service.requis).selectinload(Requis.departement),
    selectinload(Service.specialite),
    selectinload(Service.thematiques),
    selectinload(Service.departements),
    selectinload(Service.canaux).selectinload(Canal.outil),
)


def published() -> Select:
    """Base query of the services of published requis."""
    return select(Service).join(Service.requis).where(Requis.statut == Statut.PUBLIEE)


def filter_accepting_from(query: Select, *codes: str) -> Select:
    """Services that accept requests from one of the départements ``codes`` (region-wide
    included)."""
    listed = select(service_departement.c.service_id).where(
        service_departement.c.departement_code.in_(codes)
    )
    return query.where(or_(Service.couverture_regionale, Service.id.in_(listed)))


def closed_on(day: date) -> ColumnElement[bool]:
    """SQL: the service is closed on ``day`` (see ``Service.unavailable_on``)."""
    return and_(
        Service.indisponible_du.is_not(None),
        Service.indisponible_du <= day,
        or_(Service.indisponible_au.is_(None), Service.indisponible_au >= day),
    )


def filter_specialite(query: Select, specialite_id: int) -> Select:
    """Services whose main specialty or one of whose thématiques is ``specialite_id``."""
    tagged = select(service_thematique.c.service_id).where(
        service_thematique.c.specialite_id == specialite_id
    )
    return query.where(or_(Service.specialite_id == specialite_id, Service.id.in_(tagged)))


def sort_key(text: str) -> str:
    """French alphabetical order: accents, ligatures and case do not move a word."""
    return fold(text)


def specialties() -> Select:
    """``(service_id, specialite_id)`` for every specialty a service answers for: its main
    specialty and each of its thématiques."""
    return union(
        select(Service.id.label("service_id"), Service.specialite_id.label("specialite_id")),
        select(service_thematique.c.service_id, service_thematique.c.specialite_id),
    )


def coverage() -> Select:
    """``(service_id, departement_code)`` for every département a service accepts requests
    from: those it lists, and all of them for a region-wide service."""
    return union(
        select(
            service_departement.c.service_id.label("service_id"),
            service_departement.c.departement_code.label("departement_code"),
        ),
        select(Service.id, Departement.code)
        .select_from(Service)
        .join(Departement, true())
        .where(Service.couverture_regionale.is_(True)),
    )


# --- reference data -----------------------------------------------------------------------


def _per_request(key: str, loader):  # noqa: ANN001, ANN202
    """Reference lists are read at most once per request or command (they change only with a
    deployment or a reference seed, which runs in its own command)."""
    if not has_app_context():
        return loader()
    cache = g.setdefault("ato_reference", {})
    if key not in cache:
        cache[key] = loader()
    return cache[key]


def departements() -> Sequence[Departement]:
    return _per_request(
        "departements",
        lambda: db.session.scalars(select(Departement).order_by(Departement.code)).all(),
    )


def specialites() -> list[Specialite]:
    return _per_request(
        "specialites",
        lambda: sorted(db.session.scalars(select(Specialite)), key=lambda s: sort_key(s.libelle)),
    )


def outils() -> Sequence[Outil]:
    return _per_request(
        "outils", lambda: db.session.scalars(select(Outil).order_by(Outil.id)).all()
    )


def get_specialite_by_slug(slug: str) -> Specialite | None:
    return db.session.scalar(select(Specialite).where(Specialite.slug == slug))


# --- counts ---------------------------------------------------------------------------------


def _published_requis_per(pairs: Select, key: str) -> dict:
    """Published requis counted per value of ``key`` in ``pairs`` (service id, key) rows."""
    sub = pairs.subquery()
    rows = db.session.execute(
        select(sub.c[key], func.count(distinct(Service.requis_id)))
        .select_from(sub)
        .join(Service, Service.id == sub.c.service_id)
        .join(Requis, Requis.id == Service.requis_id)
        .where(Requis.statut == Statut.PUBLIEE)
        .group_by(sub.c[key])
    )
    return {value: count for value, count in rows}


def departement_counts() -> dict[str, int]:
    """Published requis accepting requests from each département (region-wide included)."""
    return _published_requis_per(coverage(), "departement_code")


def specialite_counts() -> dict[int, int]:
    """Published requis offering each specialty, as main specialty or thématique."""
    return _published_requis_per(specialties(), "specialite_id")


@dataclass(frozen=True)
class KeyFigures:
    """Live figures of the published directory (never example figures)."""

    recours: int
    services: int
    par_nature: dict[str, int]
    specialites: int
    departements_couverts: int


def key_figures() -> KeyFigures:
    is_published = Requis.statut == Statut.PUBLIEE
    par_nature = dict(
        db.session.execute(
            select(Requis.nature, func.count()).where(is_published).group_by(Requis.nature)
        ).all()
    )
    services = db.session.scalar(published().with_only_columns(func.count(Service.id)))
    return KeyFigures(
        recours=sum(par_nature.values()),
        services=services or 0,
        par_nature={n.value: par_nature.get(n, 0) for n in NatureRequis},
        specialites=len(specialite_counts()),
        departements_couverts=sum(1 for c in departement_counts().values() if c),
    )


@dataclass(frozen=True)
class Recence:
    """The "taux de récence": published entries verified within the last 12 months."""

    verifiees: int
    publiees: int

    @property
    def taux(self) -> float | None:
        return self.verifiees / self.publiees if self.publiees else None


def recence(now: datetime | None = None) -> Recence:
    """Count published entries and those verified less than 12 months before ``now``."""
    since = (now or utcnow()) - STALE_AFTER
    is_published = Requis.statut == Statut.PUBLIEE
    publiees, verifiees = db.session.execute(
        select(
            func.count(),
            func.count().filter(Requis.verified_at >= since),
        ).where(is_published)
    ).one()
    return Recence(verifiees=verifiees or 0, publiees=publiees or 0)


def examples_published() -> bool:
    """Whether example (fictional) entries are online, so that pages can say so."""
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Requis)
            .where(Requis.statut == Statut.PUBLIEE, Requis.est_exemple)
        )
    )


# --- lists ----------------------------------------------------------------------------------


@dataclass
class Group:
    """A titled group of services on a list page."""

    key: str
    title: str
    services: list[Service] = field(default_factory=list)


def _load(query: Select) -> list[Service]:
    return list(db.session.scalars(query.options(*SERVICE_CARD_OPTIONS)).unique())


def services_for_departement(code: str) -> list[Group]:
    """Services accepting requests from ``code``, grouped by specialty.

    Within a group, services closed today come last; before them, those located
    in the département, then the others that accept its requests, region-wide ones last.
    """
    services = _load(filter_accepting_from(published(), code))
    today = paris_day()

    def order(s: Service) -> tuple:
        located = s.requis.departement_code == code
        return (
            s.unavailable_on(today),
            not located,
            s.couverture_regionale,
            sort_key(s.requis.display_name),
            s.nom,
        )

    groups: dict[int, Group] = {}
    for service in sorted(services, key=order):
        spec = service.specialite
        groups.setdefault(spec.id, Group(spec.slug, spec.libelle)).services.append(service)
    return sorted(groups.values(), key=lambda g: sort_key(g.title))


def services_for_specialite(specialite: Specialite) -> list[Group]:
    """Services of a specialty (main or thématique), grouped by the requis's département,
    those closed today last in their group."""
    services = _load(filter_specialite(published(), specialite.id))
    today = paris_day()
    groups: dict[str, Group] = {}
    for service in sorted(
        services,
        key=lambda s: (s.unavailable_on(today), sort_key(s.requis.display_name), s.nom),
    ):
        dep = service.requis.departement
        groups.setdefault(dep.code, Group(dep.code, dep.label)).services.append(service)
    return [groups[k] for k in sorted(groups)]


# Everything an entry shows (its page, and every door out: see directory.public.load).
REQUIS_SHOWN = (
    selectinload(Requis.departement),
    selectinload(Requis.services).selectinload(Service.specialite),
    selectinload(Requis.services).selectinload(Service.thematiques),
    selectinload(Requis.services).selectinload(Service.departements),
    selectinload(Requis.services).selectinload(Service.canaux).selectinload(Canal.outil),
)


def get_published_requis(requis_id: int) -> Requis | None:
    """A published requis with everything its page shows, or None."""
    return db.session.scalar(
        select(Requis)
        .where(Requis.id == requis_id, Requis.statut == Statut.PUBLIEE)
        .options(*REQUIS_SHOWN)
    )


def alternatives(service: Service, day: date, limit: int = 8) -> list[Service]:
    """Where else to send a request while ``service`` is closed on ``day``: the other
    published services of its specialty (main or thématique) that accept requests from one
    of its départements (any, for a region-wide service) and are open that day; those
    located in the same département first, then by name."""
    query = filter_specialite(published(), service.specialite_id).where(
        Service.id != service.id, ~closed_on(day)
    )
    if not service.couverture_regionale:
        query = filter_accepting_from(query, *(d.code for d in service.departements))
    found = _load(query)
    here = service.requis.departement_code
    found.sort(
        key=lambda s: (s.requis.departement_code != here, sort_key(s.requis.display_name), s.nom)
    )
    return found[:limit]


# --- links flagged as failing -------------------------------------------------------------------

#: ``app.extensions[LINK_NOTICES]``: a function ``(requis) -> {url: failing since}`` giving the
#: entry's web addresses that a link check flagged as failing. A feature that checks links
#: registers it; the directory imports no such feature, and without one nothing is flagged.
LINK_NOTICES = "ato_link_notices"


def flagged_links(requis: Requis) -> dict[str, datetime]:
    """The entry's URLs flagged as failing, with the time they started failing."""
    from flask import current_app

    provider = current_app.extensions.get(LINK_NOTICES)
    return provider(requis) if provider is not None else {}


def channels_in_order(service: Service, flagged: dict[str, datetime]) -> list[Canal]:
    """The service's channels, those with a flagged link last (otherwise in their order)."""
    return sorted(service.canaux, key=lambda canal: canal.adresse in flagged)


def filter_words(query: Select, words: list[str]) -> Select:
    """Every word in a name, the town, the specialty or the description (SQL ``LIKE``).

    The plain text match used when the full-text index is unavailable; ``%``,
    ``_`` and ``\\`` typed by users are literal characters.
    """
    query = query.join(Specialite, Specialite.id == Service.specialite_id)
    for word in words:
        pattern = f"%{_escape_like(word)}%"
        query = query.where(
            or_(
                Requis.nom.ilike(pattern, escape="\\"),
                Service.nom.ilike(pattern, escape="\\"),
                Requis.ville.ilike(pattern, escape="\\"),
                Specialite.libelle.ilike(pattern, escape="\\"),
                Service.description.ilike(pattern, escape="\\"),
            )
        )
    return query


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def specialites_by_nature(
    items: Iterable[Specialite], counts: dict[int, int]
) -> dict[NatureSpecialite, list[tuple[Specialite, int]]]:
    """Specialties with at least one published recourse, split by nature."""
    result: dict[NatureSpecialite, list[tuple[Specialite, int]]] = defaultdict(list)
    for spec in items:
        if counts.get(spec.id):
            result[spec.nature].append((spec, counts[spec.id]))
    return result


# --- duplicates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """A live entry that already carries one of the identifiers of an entry."""

    requis: Requis
    identifier: str

    @property
    def published(self) -> bool:
        return self.requis.statut == Statut.PUBLIEE


def find_duplicate(entry: dict, exclude: int | None = None) -> Duplicate | None:
    """A live (pending or published) requis with the same FINESS or RPPS as ``entry``."""
    identity = entry["requis"]
    for column, value in (
        (Requis.finess, identity.get("finess")),
        (Requis.rpps, identity.get("rpps")),
    ):
        if value:
            found = db.session.scalar(
                select(Requis).where(
                    column == value, Requis.statut.in_(LIVE_STATUTS), Requis.id != (exclude or 0)
                )
            )
            if found is not None:
                return Duplicate(found, value)
    return None


def find_homonyms(entry: dict, exclude: int | None = None) -> list[Requis]:
    """Live requis with the same name and town: a duplicate that identifiers may not reveal."""
    identity = entry["requis"]
    return list(
        db.session.scalars(
            select(Requis).where(
                func.lower(Requis.nom) == identity["nom"].lower(),
                func.lower(Requis.ville) == (identity.get("ville") or "").lower(),
                Requis.statut.in_(LIVE_STATUTS),
                Requis.id != (exclude or 0),
            )
        )
    )
