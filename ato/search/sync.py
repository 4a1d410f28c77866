"""Keeping each host's index in step with the database.

1. The database logs every change to what the index is made of: triggers on
   requis, service, canal, service_departement, service_thematique and
   specialite write the requis concerned into ``search_change``, in the same
   transaction, whatever writes — the ORM, a bulk statement, an import, a seed.
2. Each index folder (one per host) keeps its own position in that log. After
   a commit in this process, and before each search, the changes past the
   position are applied: their requis are re-read and their documents
   replaced. Several hosts over one database each follow the log on their own.
3. Re-applying a change is harmless, so the position trails the newest rows by
   ``SETTLE`` (a transaction may commit after a later one): the rows of that
   window already applied are remembered, not applied twice. A search or a
   commit only asks for rows past the newest one applied; the whole window is
   read again at most once per ``RESCAN`` per process, for late commits.
4. A missing, damaged or stale index is rebuilt in a background thread; a
   search waits for it at most ``ATO_SEARCH_REBUILD_WAIT`` seconds (a small
   directory never notices), then SQL answers until it is done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import delete, event, func, select
from whoosh.index import LockError

from ato.core.models import utcnow
from ato.core.text import plural
from ato.extensions import db
from ato.search.documents import Facets, load_documents, published_service_count
from ato.search.index import IndexUnavailable, Position, SearchIndex
from ato.search.models import SearchChange

log = logging.getLogger(__name__)

SETTLE = timedelta(minutes=10)  # longer than any transaction that writes entries
RESCAN = 1.0  # seconds between two reads of the whole SETTLE window, per process
KEEP = timedelta(days=7)  # a host down for longer rebuilds instead of catching up


def init_app(app: Flask) -> None:
    app.extensions["ato_search_index"] = SearchIndex(
        app.config["ATO_SEARCH_INDEX_PATH"], app.config["ATO_SEARCH_LOCK_TIMEOUT"]
    )
    app.extensions["ato_search_state"] = {"ready": False, "thread": None, "rescanned": 0.0}
    if not getattr(Session, "_ato_search_hooks", False):
        event.listen(Session, "after_commit", _after_commit)
        Session._ato_search_hooks = True  # type: ignore[attr-defined]


def get_index() -> SearchIndex:
    return current_app.extensions["ato_search_index"]


def _after_commit(_session: Session) -> None:
    """What this process just committed is searchable at once (in this host's index)."""
    if not current_app.extensions["ato_search_state"]["ready"]:
        return  # no index opened yet in this process: the first search catches up
    try:
        catch_up()
    except IndexUnavailable as exc:  # damaged: rebuilt at once, SQL answers meanwhile
        log.warning("Index illisible après commit (%s) : reconstruction", str(exc))
        mark_unready()
        _rebuild_in_background()
    except Exception:  # the next search (in any process) tries again
        log.exception("Index non mis à jour après commit : rattrapage prévu")


# --- following the change log -----------------------------------------------------------------


def catch_up() -> int:
    """Apply the changes past this host's position; returns how many requis were re-indexed.

    Raises :class:`IndexUnavailable` when the index cannot be read or written
    (the caller rebuilds it); a writer lock held too long leaves the work for later.
    """
    with get_index().catchup_lock() as mine:
        return _catch_up_locked() if mine else 0  # else another process of this host is at it


def _catch_up_locked(rescan: bool = False) -> int:
    """``catch_up`` for the holder of the host's catch-up lock.

    Reads the rows past the newest one applied; with ``rescan`` (or once per
    ``RESCAN``), the whole window past the position, to find late commits.
    """
    search_index = get_index()
    position = search_index.read_position()
    state = current_app.extensions["ato_search_state"]
    rescan = rescan or time.monotonic() - state["rescanned"] > RESCAN
    since = position.last if rescan else max(position.applied, default=position.last)
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(SearchChange.id, SearchChange.requis_id, SearchChange.created_at)
            .where(SearchChange.id > since)
            .order_by(SearchChange.id)
        ).all()
        conn.rollback()
    if rescan:
        state["rescanned"] = time.monotonic()
    if not rows:
        return 0  # nothing new: the position file stays as it is
    fresh = [r for r in rows if r.id not in position.applied]
    requis_ids = {r.requis_id for r in fresh}
    if requis_ids:
        try:
            _apply(requis_ids)
        except LockError:
            log.warning("Index verrouillé : %s en attente", plural(len(requis_ids), "fiche"))
            return 0
    if rescan:
        advanced = _advance(position, rows)
    else:  # a partial read: remember what was applied, move the position at the next rescan
        advanced = Position(position.last, position.applied | {r.id for r in rows})
    if advanced != position:  # most searches find only rows applied already: no write
        search_index.write_position(advanced)
    return len(requis_ids)


def _advance(position: Position, rows: list) -> Position:  # noqa: ANN001
    """Move past the rows old enough for no earlier id to be still uncommitted."""
    horizon = utcnow() - SETTLE
    last = position.last
    for row in rows:
        if row.created_at >= horizon:
            break
        last = row.id
    applied = frozenset(r.id for r in rows if r.id > last)
    return Position(last, applied)


def _apply(requis_ids: Iterable[int]) -> None:
    requis_ids = sorted(set(requis_ids))

    def load() -> list[dict]:
        with db.engine.connect() as conn:
            documents = list(load_documents(conn, requis_ids))
            conn.rollback()
        return documents

    failure = None
    try:
        get_index().apply(requis_ids, load)
    except (LockError, IndexUnavailable):
        raise
    except Exception as exc:  # a damaged file: the index is rebuilt  # noqa: BLE001
        failure = f"écriture impossible : {exc!r}"
    if failure is not None:  # raised outside: no reference kept to Whoosh's open files
        raise IndexUnavailable(failure)


def pending_count() -> int:
    """Entries (requis) changed past this host's position and not yet applied."""
    try:
        position = get_index().read_position()
    except IndexUnavailable:
        position = Position()
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(SearchChange.id, SearchChange.requis_id).where(SearchChange.id > position.last)
        ).all()
        conn.rollback()
    return len({r.requis_id for r in rows if r.id not in position.applied})


def prune() -> int:
    """Forget changes older than ``KEEP`` (every host has applied them or rebuilds)."""
    with db.engine.begin() as conn:
        return conn.execute(
            delete(SearchChange).where(SearchChange.created_at < utcnow() - KEEP)
        ).rowcount


# --- rebuilding -----------------------------------------------------------------------------


def _settled_position() -> Position:
    with db.engine.connect() as conn:
        last = conn.scalar(
            select(func.max(SearchChange.id)).where(SearchChange.created_at < utcnow() - SETTLE)
        )
        conn.rollback()
    return Position(last or 0)


def rebuild(procs: int = 1) -> int:
    """Build a fresh index from the database, swap it in, then replay the recent changes."""
    search_index = get_index()
    with search_index.rebuild_lock():
        position = _settled_position()  # before reading: later changes are replayed
        with db.engine.connect() as conn:
            count = 0

            def counted():  # noqa: ANN202
                nonlocal count
                for document in load_documents(conn):
                    count += 1
                    yield document

            name = search_index.build(counted(), position, procs=procs)
            conn.rollback()
        with search_index.catchup_lock(wait=True):  # no catch-up writes into the old one now
            search_index.swap(name)
            _catch_up_locked(rescan=True)
    return count


def _rebuild_in_background() -> threading.Thread:
    """Start (once per process) a rebuild in a thread of its own."""
    state = current_app.extensions["ato_search_state"]
    thread = state.get("thread")
    if thread is not None and thread.is_alive():
        return thread
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                rebuild()
            except Exception:  # search keeps answering through SQL
                log.exception("Reconstruction de l'index impossible")

    thread = threading.Thread(target=run, name="ato-search-rebuild", daemon=True)
    state["thread"] = thread
    thread.start()
    return thread


def ensure_ready() -> None:
    """Make the index usable, or raise :class:`IndexUnavailable` (SQL answers meanwhile).

    The first call in a process checks the index (missing, unreadable, not
    matching the database's count) and has it rebuilt in the background if
    need be; every call then applies the changes past this host's position.
    """
    state = current_app.extensions["ato_search_state"]
    if not state["ready"]:
        running = state.get("thread")
        if running is not None and running.is_alive():  # a rebuild is under way: wait a little
            running.join(current_app.config["ATO_SEARCH_REBUILD_WAIT"])
        problem = _problem()
        if problem is not None:
            log.warning("Index de recherche à reconstruire (%s)", problem)
            thread = _rebuild_in_background()
            thread.join(current_app.config["ATO_SEARCH_REBUILD_WAIT"])
            if thread.is_alive() or _problem() is not None:
                raise IndexUnavailable(f"reconstruction en cours ({problem})")
        state["ready"] = True
    try:
        catch_up()
    except IndexUnavailable:
        mark_unready()
        raise


def _problem() -> str | None:
    """Why the index cannot serve as it is, or None. Catches up first, then compares."""
    search_index = get_index()
    if not search_index.exists():
        return "absent"
    try:
        position = search_index.read_position()
        with db.engine.connect() as conn:
            oldest = conn.scalar(select(func.min(SearchChange.id)))
            conn.rollback()
        if position.last and oldest is not None and position.last < oldest - 1:
            return "trop en retard sur le journal des changements"
        catch_up()
        actual = search_index.doc_count()
    except IndexUnavailable as exc:
        return str(exc)
    if pending_count():
        return None  # another process is applying changes: the counts cannot be compared now
    with db.engine.connect() as conn:
        expected = published_service_count(conn)
        conn.rollback()
    if actual != expected:
        return f"{actual} documents, {expected} attendus"
    return None


def mark_unready() -> None:
    """Make the next search check (and if need be rebuild) the index."""
    current_app.extensions["ato_search_state"]["ready"] = False
    get_index().close()


def check() -> dict[str, list[int]]:
    """Differences between the index and the database, by service id.

    Raises :class:`IndexUnavailable` when the index cannot be read.
    """
    with db.engine.connect() as conn:
        expected = {int(d["id"]): Facets(*d["facets"]).digest for d in load_documents(conn)}
        conn.rollback()
    actual = get_index().digests()
    return {
        "manquants": sorted(expected.keys() - actual.keys()),
        "en_trop": sorted(actual.keys() - expected.keys()),
        "differents": sorted(
            k for k in expected.keys() & actual.keys() if expected[k] != actual[k]
        ),
    }
