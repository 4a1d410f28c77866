"""The Alembic history is linear and builds exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from ato import create_app
from ato.extensions import db

# The triggers that feed the search index: a migration must leave them all in place.
SEARCH_TRIGGERS = (
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tr_search_%'"
)


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


def _reference_rows(connection):
    """The reference rows the tests below need, in SQL: the models (and the seeding that
    uses them) describe the latest schema, not the one of an older revision."""
    for code, nom in (("31", "Haute-Garonne"), ("34", "Hérault"), ("81", "Tarn")):
        connection.exec_driver_sql(
            f"INSERT INTO departement (code, nom, code_region) VALUES ('{code}', '{nom}', '76')"
        )
    connection.exec_driver_sql(
        "INSERT INTO specialite (id, slug, libelle, nature, code_r38, synonymes) "
        "VALUES (1, 'dermatologie', 'Dermatologie', 'specialite', 'SM15', '[]')"
    )


def _fresh_app(app_config, tmp_path, monkeypatch):
    """An app on an empty SQLite file of its own, to migrate step by step."""
    monkeypatch.setenv("ATO_INSTANCE_PATH", str(tmp_path))
    return create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.sqlite3"})


def test_stored_addresses_are_brought_to_their_normal_form(app_config, tmp_path, monkeypatch):
    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
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


def test_requests_decided_before_0009_get_their_decision_date(app_config, tmp_path, monkeypatch):
    """0009 dates past decisions (their last update) and leaves open requests undecided."""
    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO departement (code, nom, code_region) "
                "VALUES ('31', 'Haute-Garonne', '76')"
            )
            connection.exec_driver_sql(
                "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, finess, "
                "est_exemple, created_at, updated_at) VALUES (1, 'etablissement', 'pending', "
                "'CHU fictif', 'Toulouse', '31', '310781406', 0, '2026-01-01', '2026-01-01')"
            )
            for id_, statut, message in (
                (1, "publiee", None),
                (2, "refusee", "Hors région"),
                (3, "recue", None),
            ):
                connection.exec_driver_sql(
                    "INSERT INTO demande (id, nature, statut, requis_id, payload, token_hash, "
                    "idempotency_key, contact_email, message, submissions, created_at, "
                    f"updated_at) VALUES ({id_}, 'inscription', '{statut}', 1, '{{}}', 't{id_}', "
                    f"'k{id_}', 'a@b.fr', {'NULL' if message is None else repr(message)}, 1, "
                    "'2026-01-01', '2026-02-0" + str(id_) + "')"
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT statut, decided_at, decided_by_id FROM demande ORDER BY id"
            ).all()
        assert [(s, str(d)[:10] if d else None, by) for s, d, by in rows] == [
            ("publiee", "2026-02-01", None),
            ("refusee", "2026-02-02", None),
            ("recue", None, None),
        ]
        db.engine.dispose()


def test_statuses_become_french_without_touching_rows_children_or_triggers(
    app_config, tmp_path, monkeypatch
):
    """0010 rewrites the values and their constraints in place: no table rebuild, no cascade."""
    import sqlite3

    import pytest

    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as connection:
            _reference_rows(connection)
            for id_, statut, finess in (
                (1, "published", "310781406"),
                (2, "pending", "340780477"),
                (3, "archived", "310781406"),
                (4, "rejected", "340780477"),
            ):
                connection.exec_driver_sql(
                    "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, "
                    "finess, est_exemple, published_at, created_at, updated_at) VALUES "
                    f"({id_}, 'etablissement', '{statut}', 'CHU {id_}', 'Toulouse', '31', "
                    f"'{finess}', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
                )
            connection.exec_driver_sql(
                "INSERT INTO service (id, requis_id, position, nom, specialite_id, public, "
                "couverture_regionale, indisponible) SELECT 1, 1, 0, 'Dermatologie', id, 'tous', "
                "1, 0 FROM specialite WHERE slug = 'dermatologie'"
            )
        triggers = SEARCH_TRIGGERS
        with db.engine.connect() as connection:
            before = connection.exec_driver_sql(triggers).scalar()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT id, statut FROM requis ORDER BY id").all()
            assert rows == [(1, "publiee"), (2, "en_attente"), (3, "archivee"), (4, "refusee")]
            assert connection.exec_driver_sql("SELECT count(*) FROM service").scalar() == 1
            assert connection.exec_driver_sql(triggers).scalar() == before
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        database = db.engine.url.database
        db.engine.dispose()
    raw = sqlite3.connect(database)
    with pytest.raises(sqlite3.IntegrityError, match="ck_requis_statut"):
        raw.execute("UPDATE requis SET statut = 'published' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):  # two live entries, one FINESS
        raw.execute("UPDATE requis SET statut = 'en_attente' WHERE id = 3")
    with pytest.raises(sqlite3.IntegrityError, match="published_has_date"):
        raw.execute("UPDATE requis SET published_at = NULL WHERE id = 1")
    raw.execute(
        "INSERT INTO requis (nature, nom, ville, departement_code, finess, est_exemple, "
        "created_at, updated_at) VALUES ('etablissement', 'Nouveau', 'Albi', '81', "
        "'810000136', 0, '2026-01-01', '2026-01-01')"
    )
    assert raw.execute("SELECT statut FROM requis WHERE nom = 'Nouveau'").fetchone() == (
        "en_attente",
    )
    raw.close()


def test_0015_turns_the_unavailable_flag_into_a_closure_from_today(
    app_config, tmp_path, monkeypatch
):
    """A service flagged unavailable is closed from today until further notice; the others
    are open; each published revision dates the content; départements get their article;
    and no table is rebuilt (rows, children and search triggers stay)."""
    import sqlite3

    import pytest

    from ato.core.models import paris_day

    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade(revision="0014")
        with db.engine.begin() as connection:
            _reference_rows(connection)
            connection.exec_driver_sql(
                "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, finess, "
                "est_exemple, published_at, created_at, updated_at) VALUES (1, 'etablissement', "
                "'publiee', 'CHU fictif', 'Toulouse', '31', '310781406', 0, '2026-01-01', "
                "'2026-01-01', '2026-11-29')"
            )
            for id_, flag in ((1, 1), (2, 0)):
                connection.exec_driver_sql(
                    "INSERT INTO service (id, requis_id, position, nom, specialite_id, public, "
                    f"couverture_regionale, indisponible, indisponible_message) VALUES ({id_}, "
                    f"1, {id_}, 'S{id_}', 1, 'tous', 1, {flag}, 'Congés')"
                )
            connection.exec_driver_sql(
                "INSERT INTO demande (id, nature, statut, requis_id, payload, token_hash, "
                "idempotency_key, contact_email, submissions, created_at, updated_at, "
                "decided_at) VALUES (1, 'modification', 'publiee', 1, '{}', 't', 'k', "
                "'a@b.fr', 1, '2026-03-01', '2026-03-02', '2026-03-02 10:00:00')"
            )
        triggers = SEARCH_TRIGGERS
        with db.engine.connect() as connection:
            before = connection.exec_driver_sql(triggers).scalar()
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, indisponible_du, indisponible_au FROM service ORDER BY id"
            ).all()
            assert rows == [(1, paris_day().isoformat(), None), (2, None, None)]
            changed = connection.exec_driver_sql("SELECT content_updated_at FROM requis").scalar()
            assert str(changed).startswith("2026-03-02")
            articles = dict(
                connection.exec_driver_sql("SELECT code, article FROM departement").all()
            )
            assert articles == {"31": "la", "34": "l'", "81": "le"}
            assert connection.exec_driver_sql(triggers).scalar() == before
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        database = db.engine.url.database
        db.engine.dispose()
    raw = sqlite3.connect(database)
    with pytest.raises(sqlite3.IntegrityError, match="indisponibilite_ordre"):
        raw.execute(
            "UPDATE service SET indisponible_du = '2026-12-31', indisponible_au = '2026-12-14'"
        )
    with pytest.raises(sqlite3.IntegrityError, match="indisponibilite_ordre"):  # end, no start
        raw.execute("UPDATE service SET indisponible_du = NULL, indisponible_au = '2026-12-14'")
    raw.execute("UPDATE service SET indisponible_du = '2026-12-14', indisponible_au = '2026-12-14'")
    raw.close()


def test_0015_goes_down_keeping_a_current_closure_as_the_flag(app_config, tmp_path, monkeypatch):
    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade()
        with db.engine.begin() as connection:
            _reference_rows(connection)
            connection.exec_driver_sql(
                "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, finess, "
                "est_exemple, published_at, created_at, updated_at) VALUES (1, 'etablissement', "
                "'publiee', 'CHU fictif', 'Toulouse', '31', '310781406', 0, '2026-01-01', "
                "'2026-01-01', '2026-11-29')"
            )
            for id_, start, end in ((1, "2000-01-01", None), (2, "2099-12-14", "2099-12-31")):
                connection.exec_driver_sql(
                    "INSERT INTO service (id, requis_id, position, nom, specialite_id, public, "
                    "couverture_regionale, indisponible_du, indisponible_au) VALUES "
                    f"({id_}, 1, {id_}, 'S{id_}', 1, 'tous', 1, '{start}', "
                    f"{'NULL' if end is None else repr(end)})"
                )
        downgrade(revision="0014")
        with db.engine.connect() as connection:
            flags = connection.exec_driver_sql(
                "SELECT id, indisponible FROM service ORDER BY id"
            ).all()
        assert flags == [(1, 1), (2, 0)]
        db.engine.dispose()


def test_delays_become_minutes_in_services_and_waiting_requests(app_config, tmp_path, monkeypatch):
    """0016 renames the column in place (no rebuild: canal rows stay), × 60, and rewrites
    the entries kept with requests; the CHECK and the search triggers still hold."""
    import json
    import sqlite3

    import pytest

    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade(revision="0015")
        payload = {
            "nature": "etablissement",
            "services": [{"nom": "A", "delai_heures": 48}, {"nom": "B", "delai_heures": None}],
        }
        with db.engine.begin() as connection:
            _reference_rows(connection)
            connection.exec_driver_sql(
                "INSERT INTO outil (id, slug, nom, nature) "
                "VALUES (1, 'teleo', 'TéléO', 'plateforme')"
            )
            connection.exec_driver_sql(
                "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, finess, "
                "est_exemple, published_at, created_at, updated_at) VALUES (1, 'etablissement', "
                "'publiee', 'CHU fictif', 'Toulouse', '31', '310781406', 0, '2026-01-01', "
                "'2026-01-01', '2026-01-01')"
            )
            for id_, hours in ((1, 72), (2, None)):
                connection.exec_driver_sql(
                    "INSERT INTO service (id, requis_id, position, nom, specialite_id, public, "
                    "couverture_regionale, delai_reponse_heures) SELECT "
                    f"{id_}, 1, 0, 'S{id_}', id, 'tous', 1, {hours or 'NULL'} "
                    "FROM specialite WHERE slug = 'dermatologie'"
                )
            connection.exec_driver_sql(
                "INSERT INTO canal (service_id, outil_id, adresse, position) "
                "VALUES (1, 1, 'https://teleo.exemple.fr', 0)"
            )
            connection.exec_driver_sql(
                "INSERT INTO demande (id, nature, statut, requis_id, payload, token_hash, "
                "idempotency_key, contact_email, submissions, created_at, updated_at) VALUES "
                f"(1, 'inscription', 'recue', 1, '{json.dumps(payload)}', 't', 'k', 'a@b.fr', "
                "1, '2026-01-01', '2026-01-01')"
            )
        upgrade()
        with db.engine.connect() as connection:
            delays = connection.exec_driver_sql(
                "SELECT delai_reponse_minutes FROM service ORDER BY id"
            ).scalars()
            assert list(delays) == [72 * 60, None]
            assert connection.exec_driver_sql("SELECT count(*) FROM canal").scalar() == 1
            stored = json.loads(connection.exec_driver_sql("SELECT payload FROM demande").scalar())
            assert [s.get("delai_minutes") for s in stored["services"]] == [48 * 60, None]
            assert all("delai_heures" not in s for s in stored["services"])
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        database = db.engine.url.database
        db.engine.dispose()
    raw = sqlite3.connect(database)
    with pytest.raises(sqlite3.IntegrityError, match="delai_positive"):
        raw.execute("UPDATE service SET delai_reponse_minutes = 0 WHERE id = 1")
    before = raw.execute("SELECT count(*) FROM search_change").fetchone()[0]
    raw.execute("UPDATE service SET delai_reponse_minutes = 30 WHERE id = 1")
    assert raw.execute("SELECT count(*) FROM search_change").fetchone()[0] == before + 2
    raw.commit()
    raw.close()
    with fresh.app_context():
        downgrade(revision="0015")
        with db.engine.connect() as connection:
            hours = connection.exec_driver_sql(
                "SELECT delai_reponse_heures FROM service ORDER BY id"
            ).scalars()
            assert list(hours) == [1, None]  # 30 min: rounded up, never 0
            stored = json.loads(connection.exec_driver_sql("SELECT payload FROM demande").scalar())
            assert [s.get("delai_heures") for s in stored["services"]] == [48, None]
        db.engine.dispose()


def test_0017_logs_each_published_entry_as_added_then_follows_changes(
    app_config, tmp_path, monkeypatch
):
    """Entries published before the change log start it as « ajout », dated from their last
    known change; pending ones are not logged; the triggers then log what happens."""
    fresh = _fresh_app(app_config, tmp_path, monkeypatch)
    with fresh.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as connection:
            _reference_rows(connection)
            for id_, statut, published in (
                (1, "publiee", "'2026-01-01'"),
                (2, "en_attente", "NULL"),
            ):
                connection.exec_driver_sql(
                    "INSERT INTO requis (id, nature, statut, nom, ville, departement_code, "
                    "est_exemple, published_at, content_updated_at, created_at, updated_at) "
                    f"VALUES ({id_}, 'dispositif', '{statut}', 'Fiche {id_}', 'Toulouse', '31', "
                    f"false, {published}, '2026-03-02 10:00:00', '2026-01-01', '2026-11-29')"
                )
        upgrade()
        with db.engine.begin() as connection:
            logged = connection.exec_driver_sql(
                "SELECT requis_id, kind, nom, departement_code, created_at FROM directory_change"
            ).all()
            assert [row[:4] for row in logged] == [(1, "ajout", "Fiche 1", "31")]
            assert str(logged[0][4]).startswith("2026-03-02")
            connection.exec_driver_sql("UPDATE requis SET statut = 'archivee' WHERE id = 1")
            connection.exec_driver_sql("UPDATE requis SET nom = 'Autre' WHERE id = 2")
            kinds = connection.exec_driver_sql(
                "SELECT requis_id, kind FROM directory_change ORDER BY id"
            ).all()
            assert kinds == [(1, "ajout"), (1, "retrait")]
        db.engine.dispose()
