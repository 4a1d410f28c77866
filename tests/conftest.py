"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL when
``ATO_TEST_DATABASE_URL`` is set; each run creates its own database (a temporary
SQLite file, or a fresh PostgreSQL database dropped at the end) so runs never
collide. The schema is built by the Alembic migrations, as in production.
Reference data is loaded once; every test starts with an empty directory.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from ato import create_app
from ato.directory import public, seeding
from ato.extensions import db, limiter
from ato.search.query import forget_vocabulary

REFERENCE_TABLES = {"departement", "specialite", "outil", "alembic_version"}
TEST_SECRET = "test-secret-key-for-the-suite-only-0123456789"  # noqa: S105
# What production requires besides the secret, with fictional values (tests of the checks).
PRODUCTION = {
    "ATO_ENV": "production",
    "ATO_BASE_URL": "https://ato.exemple.fr",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "ATO_LEGAL_PUBLISHER": "GIP fictif, 1 rue de l'Exemple, 31000 Toulouse, SIREN 000 000 000",
    "ATO_LEGAL_DIRECTOR": "Camille Exemple",
    "ATO_LEGAL_HOST": "Hébergeur fictif, Toulouse",
    "ATO_LEGAL_BASIS": "article 6.1.e du RGPD (exemple)",
    "ATO_LEGAL_DPO": "dpo@exemple.fr",
    "ATO_ACCESSIBILITY_STATUS": "2026-01-01 80",
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("ATO_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'ato-test.sqlite3'}"
        return
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ato_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app_config(database_url: str) -> dict:
    return {
        "ATO_ENV": "test",
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ATO_SUBMISSION_RATE_LIMIT": "1000 per minute",
        "ATO_PUBLIC_POST_RATE_LIMIT": "1000 per minute",
        "ATO_SEARCH_RATE_LIMIT": "10000 per minute",
    }


@pytest.fixture(scope="session")
def app(app_config: dict, instance_path: str) -> Iterator[Flask]:
    os.environ["ATO_INSTANCE_PATH"] = instance_path
    application = create_app(app_config)
    with application.app_context():
        upgrade()
        seeding.load_reference()
        db.session.commit()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_directory(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every non-reference table after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        # Last: the deletions above were logged by the triggers that feed the index.
        db.session.execute(db.metadata.tables["search_change"].delete())
        db.session.commit()
    reset_search_index(application)
    limiter.reset()
    public.CACHE.clear()


def reset_search_index(application: Flask) -> None:
    """Forget the index: the next search rebuilds it from the (emptied) database."""
    thread = application.extensions["ato_search_state"].get("thread")
    if thread is not None:  # a background rebuild started by the test
        thread.join(timeout=60)
    application.extensions["ato_search_index"].close()
    shutil.rmtree(application.config["ATO_SEARCH_INDEX_PATH"], ignore_errors=True)
    application.extensions["ato_search_state"]["ready"] = False
    forget_vocabulary()


@pytest.fixture
def smtp(app: Flask) -> Iterator:
    """A real local SMTP server, wired into the app for this test."""
    from tests.smtp import SMTPServer

    server = SMTPServer()
    server.start()
    keys = ("ATO_SMTP_HOST", "ATO_SMTP_PORT", "ATO_SMTP_SECURITY")
    previous = {key: app.config[key] for key in keys}
    app.config.update(
        ATO_SMTP_HOST="127.0.0.1",
        ATO_SMTP_PORT=server.port,
        ATO_SMTP_SECURITY="none",  # the local test server speaks plain SMTP (see test_tls)
        ATO_SMTP_TIMEOUT=5,
    )
    try:
        yield server
    finally:
        server.close()
        app.config.update(previous)


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    """A (GET) request context for tests that call services directly, as a view would."""
    with app.test_request_context():
        yield
        db.session.rollback()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):
    """``with count_queries() as counter: ...`` counts the SQL statements run."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
