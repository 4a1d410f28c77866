"""Reference and example data loading."""

import json

import pytest
from sqlalchemy import func, select
from stdnum import luhn

from ato.directory import seeding
from ato.directory.models import Departement, NatureSpecialite, Outil, Requis, Specialite
from ato.extensions import db


def test_reference_data_has_the_13_departements_of_occitanie(app_ctx):
    codes = db.session.scalars(select(Departement.code).order_by(Departement.code)).all()
    assert codes == ["09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"]
    assert {d.code_region for d in db.session.scalars(select(Departement))} == {"76"}


def test_ordinal_specialties_carry_a_valid_ans_code(app_ctx):
    reference_file = seeding.SEED_DIR / "tre_r38_specialite_ordinale.csv"
    reference = {line.split(",")[0] for line in reference_file.read_text("utf-8").splitlines()[1:]}
    ordinals = db.session.scalars(
        select(Specialite).where(Specialite.nature == NatureSpecialite.SPECIALITE)
    ).all()
    assert len(ordinals) >= 30
    for spec in ordinals:
        assert spec.code_r38 in reference


@pytest.mark.parametrize(
    ("slug", "synonym"),
    [
        ("dermatologie", "dermato"),
        ("cardiologie", "cardio"),
        ("orl", "oto-rhino-laryngologie"),
        ("pedopsychiatrie", "pédopsy"),
        ("avc", "accident vasculaire cérébral"),
    ],
)
def test_specialties_know_their_synonyms(app_ctx, slug, synonym):
    spec = db.session.scalar(select(Specialite).where(Specialite.slug == slug))
    assert synonym in spec.synonymes


def test_thematiques_have_no_ordinal_code_and_may_have_a_parent(app_ctx):
    avc = db.session.scalar(select(Specialite).where(Specialite.slug == "avc"))
    assert avc.nature == NatureSpecialite.THEMATIQUE and avc.code_r38 is None
    assert avc.parent.slug == "neurologie"


def test_loading_reference_twice_creates_nothing(app_ctx):
    before = {
        m: db.session.scalar(select(func.count()).select_from(m))
        for m in (Departement, Specialite, Outil)
    }
    reports = seeding.load_reference()
    db.session.commit()
    assert all(r.created == 0 and r.updated == 0 for r in reports.values())
    after = {
        m: db.session.scalar(select(func.count()).select_from(m))
        for m in (Departement, Specialite, Outil)
    }
    assert before == after


def test_examples_are_fictional_marked_and_valid(app_ctx):
    report = seeding.load_examples()
    db.session.commit()
    assert report.created == 40
    entries = db.session.scalars(select(Requis)).all()
    assert all(r.est_exemple and r.is_published for r in entries)
    assert {r.departement_code for r in entries} == {
        "09",
        "11",
        "12",
        "30",
        "31",
        "32",
        "34",
        "46",
        "48",
        "65",
        "66",
        "81",
        "82",
    }
    assert len({s.specialite_id for r in entries for s in r.services}) >= 20
    for r in entries:
        assert "fictif" in r.display_name.lower() or "exemple" in r.display_name.lower()
        for number in filter(None, (r.finess, r.rpps)):
            assert luhn.is_valid(number)


def test_loading_examples_twice_creates_nothing_more(app_ctx):
    seeding.load_examples()
    db.session.commit()
    assert seeding.load_examples().created == 0


def test_examples_can_be_removed(app_ctx):
    seeding.load_examples()
    db.session.commit()
    assert seeding.remove_examples() == 40
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Requis)) == 0


def test_example_file_refers_only_to_known_reference_data(app_ctx, tmp_path):
    entries = json.loads((seeding.SEED_DIR / "exemples.json").read_text(encoding="utf-8"))
    entries[0]["services"][0]["specialite"] = "astrologie"
    broken = tmp_path / "exemples.json"
    broken.write_text(json.dumps(entries), encoding="utf-8")
    with pytest.raises(seeding.SeedError, match="entrée 1"):
        seeding.load_examples(broken)


def test_seed_commands_report_what_they_did(runner):
    result = runner.invoke(args=["ato", "seed", "reference"])
    assert result.exit_code == 0 and "0 créé," in result.output
    result = runner.invoke(args=["ato", "seed", "examples"])
    assert result.exit_code == 0 and "40 créés," in result.output


def test_examples_are_never_loaded_in_production(runner, app):
    app.config["ATO_ENV"] = "production"
    try:
        result = runner.invoke(args=["ato", "seed", "examples"])
    finally:
        app.config["ATO_ENV"] = "test"
    assert result.exit_code != 0
    assert "pas en production" in result.output
