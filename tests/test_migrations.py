"""The Alembic history is linear and builds exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from ato import create_app
from ato.extensions import db


def _script(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_there_is_a_single_migration_head(app):
    with app.app_context():
        assert len(_script(app).get_heads()) == 1


def test_migrated_database_matches_the_models(app):
    """The test database was built by ``upgrade()``: no difference may remain."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrations_go_down_and_up_again_on_an_empty_database(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite3"})
    with fresh.app_context():
        upgrade()
        downgrade(revision="base")
        assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        db.engine.dispose()


def test_stored_addresses_are_brought_to_their_normal_form(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    fresh = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite3"})
    with fresh.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO user_account (email, nom, role, password_hash, created_at) "
                "VALUES ('Camille.Dupont@CHU.fr', 'C', 'moderateur', 'x', '2026-01-01')"
            )
        upgrade()
        with db.engine.connect() as connection:
            emails = connection.exec_driver_sql("SELECT email FROM user_account").scalars().all()
        assert emails == ["camille.dupont@chu.fr"]
        db.engine.dispose()
