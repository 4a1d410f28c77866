"""The figures' texts are data: seed/figures.json loads, and cites only sourced figures."""

import pytest

from ato.reports import figures, seeding

SEED = seeding.read_seed()
LIVE_TOPICS = [r for r in SEED["rapports"] if r.get("statistiques_annuaire")]


def cited_keys():
    for spec in figures.texts().en_direct:
        if spec.reference.get("indicateur"):
            yield spec.slug, spec.reference["indicateur"]
        for row in spec.lignes:
            if row.cle:
                yield spec.slug, row.cle


def test_every_live_figure_has_a_known_computation_and_its_own_address():
    specs = figures.texts().en_direct
    assert {s.calcul for s in specs} <= set(figures.LIVE_BUILDERS)
    slugs = [s.slug for s in specs]
    assert len(slugs) == len(set(slugs))
    datasets = {j["slug"] for topic in LIVE_TOPICS for j in topic.get("jeux", [])}
    assert not datasets & set(slugs)


@pytest.mark.parametrize(("slug", "cle"), list(cited_keys()))
def test_every_reference_is_a_sourced_figure_of_the_live_topic(slug, cle):
    keys = {f["cle"] for topic in LIVE_TOPICS for f in topic["indicateurs"]}
    assert cle in keys, f"{slug} cites {cle}, which rapports.json does not hold"


def test_a_comparison_starts_with_the_total_it_depends_on():
    for spec in figures.texts().en_direct:
        if spec.calcul == "comparaison":
            assert spec.lignes[0].cle and spec.lignes[0].nature is None
            assert spec.reference["periode"] and spec.reference["colonne"]


def test_every_text_fills_its_placeholders():
    texts = figures.texts()
    assert "{" not in texts.offre_demande_methode.format(jeu="demandes émises")
    for spec in texts.en_direct:
        assert "{" not in spec.titre + spec.methode
        for name in ("libelle", "note"):
            if name in spec.reference:
                filled = spec.reference[name].format(valeur="1", periode="2023", source="s")
                assert "{" not in filled
