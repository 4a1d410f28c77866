"""``flask ato search rebuild | check | catchup``."""

import pytest
from sqlalchemy import select

from ato.directory.models import Requis
from ato.extensions import db
from ato.search import sync
from tests.factories import make_requis, make_service


@pytest.fixture
def entries(app):
    with app.app_context():
        for i in range(3):
            make_requis(nom=f"Fictif {i}", services=[make_service("cardiologie")])


def test_rebuild_reports_the_number_of_services(runner, entries):
    result = runner.invoke(args=["ato", "search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 services" in result.output


def test_check_passes_when_index_and_database_agree(runner, entries):
    runner.invoke(args=["ato", "search", "rebuild"])
    result = runner.invoke(args=["ato", "search", "check"])
    assert result.exit_code == 0, result.output
    assert "index conforme" in result.output


def test_check_fails_and_names_what_differs(app, runner, entries):
    runner.invoke(args=["ato", "search", "rebuild"])
    with app.app_context():
        first = db.session.scalar(select(Requis.id).order_by(Requis.id))
        sync.get_index().apply([first], list)  # the index loses one entry behind the DB's back
        sync.get_index().close()
    result = runner.invoke(args=["ato", "search", "check"])
    assert result.exit_code == 1
    assert "manquants : 1" in result.output


def test_catchup_applies_pending_changes(app, runner, entries, monkeypatch):
    runner.invoke(args=["ato", "search", "rebuild"])
    from ato.search.index import SearchIndex

    monkeypatch.setattr(SearchIndex, "apply", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    with app.app_context():
        make_requis(nom="En attente", services=[make_service("neurologie")])
    monkeypatch.undo()
    result = runner.invoke(args=["ato", "search", "catchup"])
    assert result.exit_code == 0 and "1 fiche réindexée ;" in result.output
    assert runner.invoke(args=["ato", "search", "check"]).exit_code == 0


def test_check_in_another_process_agrees_with_the_rebuild(app, database_url, instance_path):
    """Digests must not depend on the process (set order changes with hash randomisation)."""
    import os
    import subprocess
    import sys

    with app.app_context():
        for n, codes in enumerate((["31", "32", "34", "46"], ["09", "11", "12", "30", "48"])):
            make_requis(nom=f"Multi {n}", services=[make_service("neurologie", couverture=codes)])
    env = {
        **os.environ,
        "ATO_ENV": "test",
        "DATABASE_URL": database_url,
        "ATO_INSTANCE_PATH": instance_path,
    }

    def flask(*args, seed):
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "ato", "ato", "search", *args],
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert flask("rebuild", seed="1").returncode == 0
    for seed in ("2", "3", "4"):
        result = flask("check", seed=seed)
        assert result.returncode == 0, result.stdout + result.stderr
