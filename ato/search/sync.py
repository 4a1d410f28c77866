"""Keeping the index in step with the database.

1. Every flush that touches a requis, a service or a channel records a
   ``SearchChange`` row *in the same transaction*: a committed change is never
   unknown to the search, whatever happens next.
2. After the commit, the changed requis are re-read and their documents
   replaced in the index; the rows are then marked applied.
3. If that write fails (lock contention past the timeout, disk, crash), the
   rows stay pending and :func:`catch_up` applies them later: at start, before
   the next search in any worker, or with ``flask ato search catchup``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from flask import Flask, current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import Connection, delete, event, func, insert, select, update

from ato.directory.models import Canal, Requis, Service, utcnow
from ato.extensions import db
from ato.search.documents import Facets, load_documents, published_service_count
from ato.search.index import IndexUnavailable, SearchIndex
from ato.search.models import SearchChange

log = logging.getLogger(__name__)

PENDING_KEY = "ato_search_changes"
REPLAY_MARGIN = timedelta(minutes=2)
KEEP_APPLIED = timedelta(days=7)


def init_app(app: Flask) -> None:
    app.extensions["ato_search_index"] = SearchIndex(
        app.config["ATO_SEARCH_INDEX_PATH"], app.config["ATO_SEARCH_LOCK_TIMEOUT"]
    )
    app.extensions["ato_search_state"] = {"ready": False}
    if not getattr(Session, "_ato_search_hooks", False):
        event.listen(Session, "after_flush", _record_changes)
        event.listen(Session, "after_commit", _apply_after_commit)
        event.listen(Session, "after_soft_rollback", _forget_changes)
        Session._ato_search_hooks = True  # type: ignore[attr-defined]


def get_index() -> SearchIndex:
    return current_app.extensions["ato_search_index"]


# --- session hooks ----------------------------------------------------------------------------


def _record_changes(session: Session, _flush_context: object) -> None:
    requis_ids: set[int] = set()
    canal_service_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Requis):
            requis_ids.add(obj.id)
        elif isinstance(obj, Service):
            requis_ids.add(obj.requis_id)
        elif isinstance(obj, Canal):
            canal_service_ids.add(obj.service_id)
    requis_ids.discard(None)  # type: ignore[arg-type]
    connection = session.connection()
    if canal_service_ids:
        requis_ids.update(
            connection.scalars(select(Service.requis_id).where(Service.id.in_(canal_service_ids)))
        )
    if not requis_ids:
        return
    now = utcnow()
    change_ids = connection.scalars(
        insert(SearchChange).returning(SearchChange.id),
        [{"requis_id": rid, "created_at": now} for rid in sorted(requis_ids)],
    ).all()
    pending = session.info.setdefault(PENDING_KEY, {})
    for rid, cid in zip(sorted(requis_ids), change_ids, strict=True):
        pending.setdefault(rid, []).append(cid)


def _forget_changes(session: Session, _previous_transaction: object) -> None:
    session.info.pop(PENDING_KEY, None)


def _apply_after_commit(session: Session) -> None:
    pending: dict[int, list[int]] = session.info.pop(PENDING_KEY, None) or {}
    if not pending:
        return
    change_ids = [cid for ids in pending.values() for cid in ids]
    try:
        apply_changes(pending.keys(), change_ids)
    except IndexUnavailable as exc:  # no index yet: the next start builds it
        log.info("Index absent, changement laissé en attente : %s", exc)
    except Exception:  # the change stays pending; catch-up will apply it
        log.exception(
            "Index non mis à jour après commit (requis %s) : rattrapage prévu", sorted(pending)
        )


# --- applying changes -------------------------------------------------------------------------


def apply_changes(requis_ids: Iterable[int], change_ids: list[int]) -> None:
    """Re-index ``requis_ids`` from the database, then mark ``change_ids`` applied."""
    requis_ids = sorted(set(requis_ids))

    def load() -> list[dict]:
        with db.engine.connect() as conn:
            documents = list(load_documents(conn, requis_ids))
            conn.rollback()
        return documents

    get_index().apply(requis_ids, load)
    with db.engine.begin() as conn:
        _mark_applied(conn, change_ids)


def _mark_applied(conn: Connection, change_ids: list[int]) -> None:
    for start in range(0, len(change_ids), 500):
        conn.execute(
            update(SearchChange)
            .where(SearchChange.id.in_(change_ids[start : start + 500]))
            .values(applied_at=utcnow())
        )


def pending_count() -> int:
    with db.engine.connect() as conn:
        return (
            conn.scalar(
                select(func.count())
                .select_from(SearchChange)
                .where(SearchChange.applied_at.is_(None))
            )
            or 0
        )


def catch_up() -> int:
    """Apply every pending change; returns how many requis were re-indexed."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(SearchChange.id, SearchChange.requis_id)
            .where(SearchChange.applied_at.is_(None))
            .order_by(SearchChange.id)
        ).all()
        conn.rollback()
    if rows:
        apply_changes({r.requis_id for r in rows}, [r.id for r in rows])
        log.info("Rattrapage de l'index : %d fiche(s)", len({r.requis_id for r in rows}))
    with db.engine.begin() as conn:
        conn.execute(delete(SearchChange).where(SearchChange.applied_at < utcnow() - KEEP_APPLIED))
    return len({r.requis_id for r in rows})


def rebuild(procs: int = 1) -> int:
    """Build a fresh index from the database, swap it in, replay what changed meanwhile."""
    search_index = get_index()
    with search_index.rebuild_lock():
        started = utcnow()
        with db.engine.connect() as conn:
            count = 0

            def counted():
                nonlocal count
                for document in load_documents(conn):
                    count += 1
                    yield document

            search_index.rebuild(counted(), procs=procs)
            conn.rollback()
        # Changes committed while we read may be missing from the snapshot: replay them.
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(SearchChange.id, SearchChange.requis_id).where(
                    SearchChange.created_at >= started - REPLAY_MARGIN
                )
            ).all()
            conn.rollback()
        if rows:
            apply_changes({r.requis_id for r in rows}, [r.id for r in rows])
    return count


def ensure_ready() -> None:
    """Make the index usable: rebuild it if missing, corrupt or stale; catch up pending changes.

    Runs fully once per process on first use; afterwards it only catches up
    pending changes. Raises :class:`IndexUnavailable` when the index cannot be made usable.
    """
    state = current_app.extensions["ato_search_state"]
    if state["ready"]:
        if pending_count():  # one indexed COUNT: cheap, and no change waits for a timer
            try:
                catch_up()
            except Exception:  # a locked index: the next search tries again
                log.exception("Rattrapage de l'index impossible pour l'instant")
        return
    try:
        _make_ready()
    except IndexUnavailable:
        raise
    except Exception as exc:  # disk full, permissions…: search falls back to SQL
        raise IndexUnavailable(f"index impossible à construire : {exc!r}") from exc
    state["ready"] = True


def mark_unready() -> None:
    """Make the next search check (and if need be rebuild) the index."""
    current_app.extensions["ato_search_state"]["ready"] = False
    get_index().close()


def _make_ready() -> None:
    search_index = get_index()
    if not search_index.exists():
        log.warning("Pas d'index de recherche dans %s : construction", search_index.root)
        rebuild()
    else:
        try:
            catch_up()
            actual = search_index.doc_count()
        except IndexUnavailable as exc:
            log.warning("Index de recherche illisible (%s) : reconstruction", str(exc))
            actual = None
        with db.engine.connect() as conn:
            expected = published_service_count(conn)
            conn.rollback()
        if actual != expected:
            if actual is not None:
                log.warning(
                    "Index de recherche périmé (%s documents, %s attendus) : reconstruction",
                    actual,
                    expected,
                )
            rebuild()


def check() -> dict[str, list[int]]:
    """Differences between the index and the database, by service id."""
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
