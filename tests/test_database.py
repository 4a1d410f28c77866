"""SQLite as the embedded database: several workers, never "database is locked"."""

import multiprocessing
import os
import threading

import pytest
from sqlalchemy import func, select, text

from ato import create_app
from ato.directory.models import NatureRequis, Requis
from ato.extensions import db

WORKERS = 4
WRITES_PER_WORKER = 25


@pytest.fixture
def sqlite_only(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite-specific behaviour")


def _writer(config: dict, instance_path: str, worker: int, errors) -> None:  # noqa: ANN001
    """Read, then write, in one transaction — the pattern that fails with a deferred BEGIN."""
    os.environ["ATO_INSTANCE_PATH"] = instance_path
    app = create_app(config)
    try:
        with app.app_context():
            for i in range(WRITES_PER_WORKER):
                seen = db.session.scalar(select(func.count()).select_from(Requis))
                db.session.add(
                    Requis(
                        nature=NatureRequis.DISPOSITIF,
                        nom=f"w{worker}-{i}-{seen}",
                        ville="Albi",
                        departement_code="81",
                    )
                )
                db.session.commit()
    except Exception as exc:  # reported to the parent, which fails the test
        errors.put(f"worker {worker}: {exc!r}")


def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(app, sqlite_only):
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_concurrent_read_then_write_transactions_never_fail(
    app, app_config, instance_path, sqlite_only
):
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers = [
        ctx.Process(target=_writer, args=(app_config, instance_path, n, errors))
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Requis)) == (
            WORKERS * WRITES_PER_WORKER
        )


def test_pages_are_served_while_a_writer_holds_the_lock(app, client, sqlite_only):
    """GET requests open deferred transactions: a pending write does not block them."""
    with app.app_context():
        conn = db.engine.connect()
        try:
            conn.exec_driver_sql("SELECT 1")  # opens BEGIN IMMEDIATE (no request context)
            conn.execute(text("UPDATE departement SET nom = nom WHERE code = '09'"))
            result = {}
            thread = threading.Thread(target=lambda: result.update(r=client.get("/departements")))
            thread.start()
            thread.join(timeout=5)
            assert not thread.is_alive(), "the page waited for the writer's lock"
            assert result["r"].status_code == 200
        finally:
            conn.rollback()
            conn.close()
