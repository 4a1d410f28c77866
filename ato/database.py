"""Database engine set-up shared by every feature.

SQLite is the embedded default and must survive several gunicorn workers:

* WAL lets readers run while one writer writes;
* ``busy_timeout`` makes a writer wait for the lock instead of failing;
* write transactions take the write lock at ``BEGIN IMMEDIATE``. With the
  default deferred ``BEGIN``, a transaction that reads and then writes must
  *upgrade* its lock; when another connection committed in between, SQLite
  answers "database is locked" at once, whatever the busy timeout. Taking the
  lock up front turns that failure into a short wait.

Reads (GET, HEAD and OPTIONS requests) keep a deferred ``BEGIN`` so that pages
never queue behind each other. A GET view never writes (the search-miss log of
the search page writes in its own short transaction and tolerates a wait).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ato.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def wants_write_lock() -> bool:
    """Whether the transaction being opened may write (and so must lock at BEGIN)."""
    if not has_request_context():
        return True  # CLI commands, tests, background work
    return request.method not in SAFE_METHODS


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, app.config["ATO_SQLITE_BUSY_TIMEOUT_MS"])


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if wants_write_lock() else "BEGIN")
