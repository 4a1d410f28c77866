"""What changed in the published directory, for those who follow it.

The database writes :class:`~ato.directory.models.DirectoryChange` rows itself
(triggers, migration 0017); this module reads them for every door that serves
the directory to other systems: the API's incremental sync, FHIR's
``_lastUpdated``, the open data files and the change feeds.

Sync by moment. A consumer asks for what changed since a moment it got from the
previous answer (:func:`next_since`). A transaction may commit after a later
one has, with an earlier timestamp: the moment handed back trails the present
by :data:`SETTLE`, so such a change is seen by the next sync. Changes inside
that window come back twice; applying a change twice is harmless (each answer
holds the current state of the entry, not a delta).

A sync, a page in the order of change and a last-modified date read
:class:`~ato.directory.models.DirectoryState` (each entry's newest change and
whether it is published, kept by a trigger on the log), an index whatever the
size of the log; the feeds read the log itself (:func:`history`). :func:`prune`
drops rows past :data:`KEEP` (the feeds' history), never an entry's newest one,
so the log and the state keep agreeing and withdrawals are remembered for ever.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select

from ato.core.models import utcnow
from ato.directory.models import ChangeKind, DirectoryChange, DirectoryState
from ato.extensions import db

SETTLE = timedelta(minutes=10)  # as the search index: longer than any writing transaction
KEEP = timedelta(days=90)  # older superseded rows go; the feeds show at most this far back


@dataclass(frozen=True)
class EntryChange:
    """The last change of one entry after a moment: published now, or gone (a tombstone)."""

    requis_id: int
    at: datetime
    published: bool  # False: withdrawn, archived or deleted since


def next_since(now: datetime | None = None) -> datetime:
    """The moment to give back to a consumer for its next sync (see the module's doc)."""
    return (now or utcnow()) - SETTLE


def since(
    moment: datetime | None,
    *,
    cursor: tuple[datetime, int] | None = None,
    limit: int | None = None,
    published_only: bool = False,
) -> list[EntryChange]:
    """Entries whose last change is at or after ``moment`` (every entry ever, for ``None``).

    Ordered by their last change then requis id, each entry once, published or
    not as of now: a consumer upserts the first kind and deletes the second.
    ``cursor`` (the last change and requis id of the previous page's last item)
    and ``limit`` page through the answer; a change made meanwhile moves its
    entry to the end, where the consumer meets it again. ``published_only``
    leaves the tombstones out (a listing of the directory in this order).
    An index answers it (``directory_state``), whatever the size of the log.
    """
    state = DirectoryState
    query = select(state.requis_id, state.changed_at, state.published).order_by(
        state.changed_at, state.requis_id
    )
    if published_only:
        query = query.where(state.published.is_(True))
    if moment is not None:
        query = query.where(state.changed_at >= moment)
    if cursor is not None:
        at, requis_id = cursor
        query = query.where(
            or_(state.changed_at > at, and_(state.changed_at == at, state.requis_id > requis_id))
        )
    if limit is not None:
        query = query.limit(limit)
    return [
        EntryChange(requis_id, at, bool(published))
        for requis_id, at, published in db.session.execute(query)
    ]


def last_modified(requis_ids: Iterable[int]) -> dict[int, datetime]:
    """When each entry last changed as the public sees it (``Last-Modified``, ``meta``)."""
    ids = list(requis_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(DirectoryState.requis_id, DirectoryState.changed_at).where(
            DirectoryState.requis_id.in_(ids)
        )
    )
    return {requis_id: at for requis_id, at in rows}


def latest() -> datetime | None:
    """The moment of the newest change of the whole directory (for ``ETag``, regeneration)."""
    return db.session.scalar(select(func.max(DirectoryState.changed_at)))


@dataclass
class Event:
    """One change as a feed tells it: an entry added, modified or withdrawn at a moment."""

    requis_id: int
    kind: ChangeKind
    at: datetime
    nom: str | None
    departement_code: str | None


STRENGTH = {ChangeKind.MODIFICATION: 0, ChangeKind.AJOUT: 1, ChangeKind.RETRAIT: 2}


def history(*, limit: int, requis_ids: Iterable[int] | None = None) -> list[Event]:
    """The newest changes, newest first, one per entry and minute.

    A revision writes a row per service, channel and département it replaces,
    within one transaction: those read as one change, of the strongest kind
    among them (a withdrawal over an addition over a modification).
    """
    query = select(DirectoryChange).order_by(
        DirectoryChange.created_at.desc(), DirectoryChange.id.desc()
    )
    if requis_ids is not None:
        query = query.where(DirectoryChange.requis_id.in_(list(requis_ids)))
    events: dict[tuple[int, str], Event] = {}
    batch, offset = max(limit * 10, 100), 0
    while True:
        rows = db.session.scalars(query.offset(offset).limit(batch)).all()
        for row in rows:
            key = (row.requis_id, row.created_at.strftime("%Y-%m-%d %H:%M"))
            event = events.get(key)
            if event is None:
                if len(events) == limit:
                    return list(events.values())
                events[key] = Event(
                    row.requis_id, row.kind, row.created_at, row.nom, row.departement_code
                )
                continue
            if STRENGTH[row.kind] > STRENGTH[event.kind]:
                event.kind = row.kind
            event.nom = event.nom or row.nom
            event.departement_code = event.departement_code or row.departement_code
        if len(rows) < batch:
            return list(events.values())
        offset += batch


def prune(now: datetime | None = None) -> int:
    """Drop rows older than :data:`KEEP` that a newer row of the same entry supersedes."""
    horizon = (now or utcnow()) - KEEP
    newest = (
        select(DirectoryChange.requis_id, func.max(DirectoryChange.id).label("id"))
        .group_by(DirectoryChange.requis_id)
        .subquery()
    )
    result = db.session.execute(
        delete(DirectoryChange)
        .where(DirectoryChange.created_at < horizon)
        .where(DirectoryChange.id.not_in(select(newest.c.id)))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
