"""The API's pages: which entries, in what order, and what each item says.

Every list is ordered by last public change, then id (the order of
:func:`ato.directory.changes.since`), so a cursor is the last item's (moment,
id): stable whatever is added meanwhile, and an entry changed while a
consumer pages through moves to the end, where the consumer meets it again.

A cursor is signed (itsdangerous, the app's secret): a tampered or truncated
one is refused, never obeyed. It also carries the moment the walk started,
handed back on every page as ``prochain_modifie_depuis`` so that the next
sync starts before anything that changed during this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from ato.directory import changes, public
from ato.directory import services as directory
from ato.directory.changes import EntryChange

CURSOR_SALT = "ato-api-curseur"
VERSION = "v1"


@dataclass(frozen=True)
class Cursor:
    at: datetime
    requis_id: int
    started: datetime  # prochain_modifie_depuis of the walk's first page


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=CURSOR_SALT)


def encode_cursor(cursor: Cursor) -> str:
    return _serializer().dumps(
        [cursor.at.isoformat(), cursor.requis_id, cursor.started.isoformat()]
    )


def decode_cursor(token: str) -> Cursor | None:
    """The cursor, or None when the token was not made here (tampered, truncated, old key)."""
    try:
        at, requis_id, started = _serializer().loads(token)
        return Cursor(datetime.fromisoformat(at), int(requis_id), datetime.fromisoformat(started))
    except (BadData, ValueError, TypeError):
        return None


@dataclass
class Page:
    entries: list[EntryChange]  # at most the limit asked for, in order
    more: bool  # another page follows


def published_page(cursor: Cursor | None, limit: int, wanted: set[int] | None) -> Page:
    """Published entries after ``cursor`` (those in ``wanted`` only, when given).

    Without ``wanted`` one indexed query gives the page; with it (a search),
    the rest of the order is read in one query and kept to the matching entries.
    """
    after = (cursor.at, cursor.requis_id) if cursor else None
    if wanted is not None:
        rows = [
            e
            for e in changes.since(None, cursor=after, published_only=True)
            if e.requis_id in wanted
        ]
        return Page(rows[:limit], len(rows) > limit)
    rows = changes.since(None, cursor=after, limit=limit + 1, published_only=True)
    return Page(rows[:limit], len(rows) > limit)


def changed_page(moment: datetime, cursor: Cursor | None, limit: int) -> Page:
    """Entries changed at or after ``moment``, published or gone (tombstones)."""
    after = (cursor.at, cursor.requis_id) if cursor else None
    rows = changes.since(moment, cursor=after, limit=limit + 1)
    return Page(rows[:limit], len(rows) > limit)


def tombstone(requis_id: int, at: datetime) -> dict[str, Any]:
    """What is left of an entry withdrawn, archived or deleted: its id and when."""
    return {"id": requis_id, "supprime": True, "modifie_le": at.isoformat()}


def items(
    entries: list[EntryChange], *, today: date, base: str, url: Callable[[Any], str]
) -> list[dict[str, Any]]:
    """Each entry in full if published (:func:`ato.directory.public.shapes`: cached while
    unchanged, else loaded in a constant number of queries), else its tombstone. An entry
    withdrawn between the two reads is a tombstone."""
    published = {e.requis_id: e.at for e in entries if e.published}
    shown = public.shapes(published, today=today, base=base, url=url, modified=published)
    return [shown.get(e.requis_id) or tombstone(e.requis_id, e.at) for e in entries]


def etag(*parts: object) -> str:
    """A weak validator of what a response says, from what it depends on."""
    digest = hashlib.sha256("\x1f".join(map(str, (VERSION, *parts))).encode()).hexdigest()
    return digest[:32]


# --- reference lists ---------------------------------------------------------------------


def departements() -> list[dict[str, Any]]:
    return [{"code": d.code, "nom": d.nom, "article": d.article} for d in directory.departements()]


def specialites() -> list[dict[str, Any]]:
    """Specialties and thématiques with their codes; ``parent`` is the code of the specialty
    a thématique or sub-specialty belongs to."""
    specs = directory.specialites()
    slugs = {s.id: s.slug for s in specs}
    return [
        {**public.specialty(s), "parent": slugs.get(s.parent_id) if s.parent_id else None}
        for s in specs
    ]


def outils() -> list[dict[str, Any]]:
    return [
        {
            "code": o.slug,
            "nom": o.nom,
            "nature": o.nature.value,
            "site": o.site,
            "description": o.description,
        }
        for o in directory.outils()
    ]
