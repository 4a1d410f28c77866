"""The seed file: every figure is traceable to its quoted source, and loading is idempotent."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ato.extensions import db
from ato.reports import seeding
from ato.reports.models import Indicateur, JeuDepartemental, Rapport
from tests.reports.conftest import plain

SEED = seeding.read_seed()
FIGURES = [(r["slug"], f) for r in SEED["rapports"] for f in r["indicateurs"]]
DATASETS = [(r["slug"], j) for r in SEED["rapports"] for j in r["jeux"]]


def number_pattern(value: Decimal) -> str:
    """How a number may be written in the source text: 87 208 / 87208, 99,89 / 99.89."""
    text = format(value.normalize(), "f")
    whole, _, decimals = text.partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    pattern = r"\s?".join(groups)
    if decimals:
        pattern += r"[,.]" + decimals
    return rf"(?<![\d,.]){pattern}(?![\d])"


@pytest.mark.parametrize(("slug", "figure"), FIGURES, ids=[f["cle"] for _, f in FIGURES])
def test_every_seeded_value_appears_in_its_quoted_excerpt(slug, figure):
    excerpt = plain(figure["citation"]["extrait"])
    assert re.search(number_pattern(Decimal(figure["valeur"])), excerpt), excerpt


@pytest.mark.parametrize(
    ("slug", "figure"),
    [(s, f) for s, f in FIGURES if f["evolution"]],
    ids=[f["cle"] for _, f in FIGURES if f["evolution"]],
)
def test_every_seeded_evolution_appears_signed_in_its_quoted_excerpt(slug, figure):
    excerpt = plain(figure["citation"]["extrait"])
    value = Decimal(figure["evolution"])
    sign = r"\+" if value > 0 else "[-−]"
    assert re.search(sign + r"\s?" + number_pattern(abs(value)) + r"\s?%", excerpt), excerpt
    assert figure["evolution_reference"] in excerpt


@pytest.mark.parametrize(("slug", "dataset"), DATASETS, ids=[j["cle"] for _, j in DATASETS])
def test_every_legend_class_appears_in_its_quoted_excerpt(slug, dataset):
    excerpt = plain(dataset["citation"]["extrait"]).casefold()
    for item in dataset["legende"]:
        assert item["libelle"].casefold() in excerpt
        for bound in (item["min"], item["max"]):
            if bound is not None:
                assert re.search(number_pattern(Decimal(bound)), excerpt)


def test_every_citation_names_a_known_document_a_section_and_an_excerpt():
    for _, item in FIGURES + DATASETS:
        citation = item["citation"]
        assert citation["source"] in SEED["sources"]
        assert SEED["sources"][citation["source"]]["fichier"].endswith(".txt")
        assert citation["section"].strip() and citation["extrait"].strip()


def test_the_issue_figures_are_all_transcribed():
    values = {f["cle"]: Decimal(f["valeur"]) for _, f in FIGURES}
    assert values["teleo-2023-demandes-avis"] == 87208
    assert values["teleo-2023-transferts-imagerie"] == 65206
    assert values["teleo-2023-urgences-avc"] == 18497
    assert values["teleconsultation-2023-par-mois"] == 1820
    assert values["teleo-2023-disponibilite"] == Decimal("99.89")
    assert values["teleo-2023-migrations-nexus"] == 33
    assert (values["ato-2023-recours"], values["ato-2023-etablissements"]) == (97, 70)
    assert values["ato-2023-liberaux"] == 27


def test_seeded_datasets_carry_no_values(app, seeded):
    with app.app_context():
        for jeu in db.session.scalars(select(JeuDepartemental)):
            assert jeu.valeurs == [] and not jeu.publie


def test_seeding_twice_creates_and_changes_nothing_the_second_time(app, seeded):
    with app.app_context():
        again = seeding.load_reports()
        db.session.commit()
        assert all(r.created == 0 and r.updated == 0 for r in again.values())
        assert db.session.scalar(select(db.func.count()).select_from(Rapport)) == len(
            SEED["rapports"]
        )
        assert db.session.scalar(select(db.func.count()).select_from(Indicateur)) == len(FIGURES)


def test_seeding_again_keeps_a_figure_edited_by_staff(app, seeded):
    from ato.reports import services

    with app.app_context():
        item = db.session.scalars(
            select(Indicateur).where(Indicateur.cle == "teleo-2023-disponibilite")
        ).one()
        values = {name: getattr(item, name) for name in services.INDICATOR_FIELDS}
        services.update_indicateur(item, {**values, "note": "Corrigé par l'équipe."}, None)
        db.session.commit()
        seeding.load_reports()
        db.session.commit()
        assert db.session.get(Indicateur, item.id).note == "Corrigé par l'équipe."


def test_cli_seeds_the_reports(app, runner):
    result = runner.invoke(args=["ato", "seed", "reports"])
    assert result.exit_code == 0, result.output
    assert f"indicateurs : {len(FIGURES)} créés" in result.output


def test_database_refuses_a_figure_without_source(app, seeded):
    with app.app_context():
        rapport = db.session.scalars(select(Rapport)).first()
        db.session.add(
            Indicateur(
                rapport=rapport,
                cle="sans-source",
                libelle="Chiffre sans source",
                valeur=Decimal(1),
                unite="demandes",
                periode="2023",
                source="  ",
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_database_refuses_an_evolution_without_its_reference_period(app, seeded):
    with app.app_context():
        item = db.session.scalars(select(Indicateur)).first()
        item.evolution, item.evolution_reference = Decimal(5), None
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
