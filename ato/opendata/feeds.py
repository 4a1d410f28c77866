"""Atom feeds of the directory's changes: the region, a département, a specialty.

Each entry is one event of :func:`ato.directory.changes.history` (an addition,
a modification or a withdrawal of a requis, one per entry and minute). An entry
tells what the requis offers (its specialties and département) and links to its
fiche; a withdrawal, or an event of an entry no longer published, tells only the
name and département the change log kept and links to the directory.

Which events a feed holds:

- département: the entries that accept requests from it (region-wide
  services included) or are located in it, as on the département's page; an
  entry withdrawn since is in the feed of the département where it was located
  (the change log keeps it) and of those its services still cover (an archived
  entry keeps its services; a deleted one has none);
- specialty: the entries with a service of that specialty or thématique
  (archived ones included, for their withdrawal).

Identifiers are ``tag:`` URIs on the public host (``ATO_BASE_URL``), stable
whatever the feed's content: the feed's from its scope, an entry's from its
requis, kind and minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app, request
from sqlalchemy import select

from ato.directory import changes, public
from ato.directory import services as directory
from ato.directory.models import ChangeKind, DirectoryChange, Requis, Service, Specialite
from ato.extensions import db
from ato.web import external_url

LIMIT = 50
TAG_DATE = "2026"  # the year the tag authority was first used: never changes
KIND_TITLE = {
    ChangeKind.AJOUT: "Ajout",
    ChangeKind.MODIFICATION: "Modification",
    ChangeKind.RETRAIT: "Retrait",
}
AUTHOR = "ATO — GRADeS e-santé Occitanie"
LICENCE = "Licence Ouverte / Open Licence version 2.0 (Etalab)"


@dataclass(frozen=True)
class Scope:
    """What a feed covers: its identifier, title, own URL and the page it follows."""

    key: str  # "recours", "departement:31", "specialite:cardiologie"
    title: str
    subtitle: str
    self_url: str
    page_url: str


def _authority() -> str:
    base = current_app.config["ATO_BASE_URL"]
    return urlsplit(base).hostname if base else (request.host.split(":")[0] or "localhost")


def tag(*parts: object) -> str:
    return f"tag:{_authority()},{TAG_DATE}:ato:" + ":".join(str(p) for p in parts)


# --- which entries ---------------------------------------------------------------------------


def departement_requis(code: str) -> set[int]:
    """Entries (of any status: only published ones have events) concerning département ``code``."""
    serving = directory.filter_accepting_from(select(Service.requis_id), code)
    located = select(Requis.id).where(Requis.departement_code == code)
    logged = select(DirectoryChange.requis_id).where(DirectoryChange.departement_code == code)
    return set(db.session.scalars(serving.union(located, logged)))


def specialite_requis(specialite: Specialite) -> set[int]:
    return set(
        db.session.scalars(
            directory.filter_specialite(select(Service.requis_id), specialite.id).distinct()
        )
    )


def events(requis_ids: Iterable[int] | None = None, departement: str | None = None):  # noqa: ANN201
    """The newest events (of ``requis_ids`` if given); for a département, those still
    concerning it (an entry that moved away keeps its former events there)."""
    ids = None if requis_ids is None else set(requis_ids)
    found = changes.history(limit=LIMIT, requis_ids=ids)
    if departement is None:
        return found
    serving = departement_requis_now(ids or set(), departement)
    return [e for e in found if e.requis_id in serving or e.departement_code == departement]


def departement_requis_now(ids: set[int], code: str) -> set[int]:
    """Among ``ids``, those whose services or location concern ``code`` today."""
    if not ids:
        return set()
    serving = directory.filter_accepting_from(
        select(Service.requis_id).where(Service.requis_id.in_(ids)), code
    )
    located = select(Requis.id).where(Requis.id.in_(ids), Requis.departement_code == code)
    return set(db.session.scalars(serving.union(located)))


# --- the feed ---------------------------------------------------------------------------------


def _summary(event, entry: Requis | None, departements: dict[str, str]) -> str:  # noqa: ANN001
    if entry is None:  # withdrawn, or an event of an entry no longer published
        code = event.departement_code
        return f"Département : {departements.get(code, code)} ({code})." if code else ""
    specialties: list[str] = []
    for service in entry.services:
        for label in [service.specialite.libelle, *(t.libelle for t in service.thematiques)]:
            if label not in specialties:
                specialties.append(label)
    regional = any(s.couverture_regionale for s in entry.services)
    parts = [
        "Spécialités : " + ", ".join(specialties) + ".",
        f"Département : {entry.departement.nom} ({entry.departement.code}).",
    ]
    if regional:
        parts.append("Accepte des demandes de toute l'Occitanie.")
    return " ".join(parts)


def render(scope: Scope, found: list) -> bytes:
    """The Atom document of ``found`` events (newest first)."""
    published = public.load({e.requis_id for e in found})
    departements = {d.code: d.nom for d in directory.departements()}
    directory_url = external_url("directory.index")
    feed = FeedGenerator()
    feed.id(tag("flux", scope.key))
    feed.title(scope.title)
    feed.subtitle(scope.subtitle)
    feed.link(href=scope.self_url, rel="self", type="application/atom+xml")
    feed.link(href=scope.page_url, rel="alternate", type="text/html", hreflang="fr")
    feed.author({"name": AUTHOR, "uri": directory_url})
    feed.rights(LICENCE)
    feed.language("fr")
    feed.generator("ATO", uri=directory_url)
    newest: datetime | None = found[0].at if found else changes.latest()
    feed.updated(newest or datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    for event in found:
        entry = published.get(event.requis_id) if event.kind != ChangeKind.RETRAIT else None
        name = entry.display_name if entry is not None else (event.nom or "Recours retiré")
        item = feed.add_entry(order="append")
        item.id(tag("requis", event.requis_id, event.kind.value, event.at.strftime("%Y%m%dT%H%MZ")))
        item.title(f"{KIND_TITLE[event.kind]} : {name}")
        item.updated(event.at)
        if entry is not None:
            url = external_url("directory.requis", requis_id=entry.id, slug=entry.slug)
        else:
            url = directory_url
        item.link(href=url, rel="alternate", type="text/html")
        summary = _summary(event, entry, departements)
        if summary:
            item.summary(summary)
    return feed.atom_str(pretty=True)
