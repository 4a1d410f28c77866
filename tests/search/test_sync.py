"""The index never drifts: every way the database changes reaches it, on every host."""

import gc
import os
import time
import warnings

import pytest
from sqlalchemy import delete, insert, select, text, update

from ato import create_app
from ato.directory.models import Requis, Service
from ato.extensions import db
from ato.search import sync
from ato.search.models import SearchChange
from ato.search.services import SearchParams, search
from tests.factories import make_requis, make_service


def names(q, **params):
    return {s.requis.nom for s in search(SearchParams(q=q, **params)).services}


@pytest.fixture
def entries(app_ctx):
    for n in range(3):
        make_requis(
            nom=f"Clinique fictive {n}",
            est_exemple=n < 2,
            services=[make_service("rhumatologie", description=f"Lot {n}.")],
        )
    assert search(SearchParams(q="rhumatologie")).total == 3  # the index exists


def assert_in_step():
    assert sync.check() == {"manquants": [], "en_trop": [], "differents": []}


def test_a_bulk_update_reaches_the_index(entries):
    db.session.execute(
        update(Service)
        .where(Service.description == "Lot 1.")
        .values(description="Ostéodensitométrie.")
    )
    db.session.commit()
    assert names("osteodensitometrie") == {"Clinique fictive 1"}
    assert_in_step()


def test_a_bulk_delete_reaches_the_index(entries):
    db.session.execute(delete(Requis).where(Requis.nom == "Clinique fictive 0"))
    db.session.commit()
    assert names("rhumatologie") == {"Clinique fictive 1", "Clinique fictive 2"}
    assert_in_step()


def test_raw_sql_reaches_the_index(entries):
    db.session.execute(
        text("UPDATE requis SET statut = 'archivee' WHERE nom = 'Clinique fictive 2'")
    )
    db.session.commit()
    assert names("rhumatologie") == {"Clinique fictive 0", "Clinique fictive 1"}
    assert_in_step()


def test_removing_the_examples_reaches_the_index(app, runner, entries):
    result = runner.invoke(args=["ato", "seed", "examples", "--remove"])
    assert result.exit_code == 0 and "2 fiches d'exemple supprimées" in result.output
    db.session.rollback()
    assert names("rhumatologie") == {"Clinique fictive 2"}
    check = runner.invoke(args=["ato", "search", "check"])
    assert check.exit_code == 0, check.output


def _damage(app):
    target = os.path.realpath(os.path.join(app.config["ATO_SEARCH_INDEX_PATH"], "current"))
    for name in os.listdir(target):
        if not name.endswith(".json"):
            with open(os.path.join(target, name), "wb") as handle:
                handle.write(b"garbage")


def test_an_index_damaged_while_the_app_runs_is_rebuilt(app, entries):
    _damage(app)  # the searcher of this process stays open on the old files
    with warnings.catch_warnings():
        # Whoosh leaves an unreadable file open on its error path; collected below.
        warnings.simplefilter("ignore", ResourceWarning)
        for n in range(3):
            make_requis(nom=f"Publiée après {n}", services=[make_service("nephrologie")])
        assert names("nephrologie") == {f"Publiée après {n}" for n in range(3)}
        assert_in_step()
        gc.collect()


def test_check_reports_an_unreadable_index_instead_of_crashing(app, runner, entries):
    _damage(app)
    sync.get_index().close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = runner.invoke(args=["ato", "search", "check"])
        gc.collect()
    assert result.exit_code == 2
    assert "index illisible" in result.output and "Traceback" not in result.output


def test_two_hosts_each_follow_the_change_log_with_their_own_index(
    app, app_config, instance_path, tmp_path, entries
):
    os.environ["ATO_INSTANCE_PATH"] = instance_path
    other = create_app({**app_config, "ATO_SEARCH_INDEX_PATH": str(tmp_path / "autre-hote")})
    try:
        with other.test_request_context():
            assert search(SearchParams(q="rhumatologie")).total == 3  # its own index
        make_requis(nom="Ajoutée sur le premier hôte", services=[make_service("nephrologie")])
        with other.test_request_context():
            assert names("nephrologie") == {"Ajoutée sur le premier hôte"}
            requis = db.session.scalar(select(Requis).where(Requis.nom.like("Ajoutée%")))
            requis.nom = "Renommée sur le second hôte"
            db.session.commit()
        assert names("nephrologie") == {"Renommée sur le second hôte"}
        with other.test_request_context():
            assert_in_step()
        assert_in_step()
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_change_committed_late_with_a_lower_id_is_found_by_the_next_rescan(app, entries):
    """Searches read only the rows past the newest applied; a rescan finds a late commit."""
    state = app.extensions["ato_search_state"]
    # An id handed out to a transaction that has not committed yet: never seen by the index.
    late = db.session.scalar(insert(SearchChange).values(requis_id=0).returning(SearchChange.id))
    newest = db.session.scalar(insert(SearchChange).values(requis_id=0).returning(SearchChange.id))
    db.session.execute(delete(SearchChange).where(SearchChange.id == late))
    db.session.commit()
    names("rhumatologie")  # the row ``newest`` is applied
    target = db.session.scalar(select(Requis.id).where(Requis.nom == "Clinique fictive 1"))
    db.session.execute(
        update(Service).where(Service.requis_id == target).values(description="Capillaroscopie.")
    )
    db.session.execute(delete(SearchChange).where(SearchChange.id > newest))
    db.session.execute(insert(SearchChange).values(id=late, requis_id=target))
    state["rescanned"] = time.monotonic()
    db.session.commit()  # as if the transaction holding the id ``late`` committed only now
    assert names("capillaroscopie") == set()  # past the newest applied: nothing new
    state["rescanned"] = 0.0  # a rescan is due
    assert names("capillaroscopie") == {"Clinique fictive 1"}
