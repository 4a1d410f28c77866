"""The right recourse first: each ranking rule, the CIM-11 expansion, suggestions, highlights."""

import pytest

from ato.search.services import SearchParams, search
from tests.factories import make_lozere_geriatric_unit, make_requis, make_service

pytestmark = pytest.mark.usefixtures("app_ctx")


def order(q="", **params):
    return [f"{s.requis.nom} / {s.nom}" for s in search(SearchParams(q=q, **params)).services]


def first(q="", **params):
    return order(q, **params)[0].split(" / ")[0]


def test_words_together_in_the_description_beat_the_same_words_apart():
    make_requis(
        nom="Centre fictif de la Vallée",
        services=[
            make_service(
                "diabetologie",
                nom="Diabétologie",
                description="Équilibre glycémique ; un ulcère du pied ou une plaie de jambe "
                "chez le diabétique est orienté vers l'équipe de podologie.",
            )
        ],
    )
    make_requis(
        nom="Hôpital fictif du Val",
        services=[
            make_service(
                "dermatologie",
                nom="Dermatologie",
                description="Ulcères de jambe veineux ou artériels, plaies chroniques.",
            )
        ],
    )
    assert first("ulcère de jambe") == "Hôpital fictif du Val"


def test_a_recourse_located_in_the_departement_asked_for_comes_first():
    make_requis(
        nom="Aaa Polyclinique fictive",
        departement="31",
        ville="Toulouse",
        services=[make_service("cardiologie", nom="Cardiologie", couverture="region")],
    )
    make_requis(
        nom="Zzz cabinet fictif",
        nature="liberal",
        departement="32",
        ville="Auch",
        services=[make_service("cardiologie", nom="Cardiologie", couverture=["32"])],
    )
    make_requis(
        nom="Mmm centre fictif",
        departement="31",
        ville="Toulouse",
        services=[make_service("cardiologie", nom="Cardiologie", couverture=["31", "32"])],
    )
    # Located in the Gers, then accepting requests from it by name, then region-wide.
    expected = ["Zzz cabinet fictif", "Mmm centre fictif", "Aaa Polyclinique fictive"]
    assert [o.split(" / ")[0] for o in order("cardiologue auch")] == expected
    assert [o.split(" / ")[0] for o in order("cardiologue", departement="32")] == expected


def test_the_main_specialty_ranks_before_a_thematique_or_a_mention():
    make_requis(
        nom="Aaa DAC fictif",
        nature="dispositif",
        services=[
            make_service(
                "soins-palliatifs",
                nom="Appui palliatif",
                thematiques=("geriatrie",),
                description="Personnes âgées en fin de vie, gériatrie et domicile.",
            )
        ],
    )
    make_requis(nom="Zzz CH fictif", services=[make_service("geriatrie", nom="Court séjour")])
    assert first("geriatrie") == "Zzz CH fictif"


def test_a_disease_leads_to_the_specialties_that_handle_it_and_says_so():
    make_lozere_geriatric_unit()
    make_requis(
        nom="CH fictif de Rodez",
        departement="12",
        services=[make_service("geriatrie", nom="Gériatrie", couverture=["12"])],
    )
    results = search(SearchParams(q="alzheimer lozère"))
    assert [s.requis.nom for s in results.services] == ["CH fictif de Mende"]
    assert results.departements == ("48",)
    (expansion,) = results.expansions
    assert expansion.words == "alzheimer" and expansion.code == "8A20"
    assert "geriatrie" in {slug for slug, _ in expansion.specialites}
    assert "Maladie d'Alzheimer" in results.expanded[results.services[0].id][0]


def test_a_direct_match_always_ranks_above_an_expansion():
    make_requis(
        nom="Aaa CH fictif",
        services=[make_service("neurologie", nom="Neurologie", description="Épilepsie, migraine.")],
    )
    make_requis(
        nom="Zzz centre fictif",
        services=[
            make_service(
                "medecine-interne",
                nom="Consultation mémoire",
                description="Bilan de la maladie d'Alzheimer débutante.",
            )
        ],
    )
    results = search(SearchParams(q="alzheimer"))
    assert [s.requis.nom for s in results.services] == ["Zzz centre fictif", "Aaa CH fictif"]
    assert results.services[0].id not in results.expanded
    assert results.services[1].id in results.expanded


def test_an_available_recourse_ranks_before_a_temporarily_unavailable_one():
    make_requis(
        nom="Aaa fictif fermé",
        services=[make_service("dermatologie", nom="Dermatologie", indisponible=True)],
    )
    make_requis(
        nom="Zzz fictif ouvert", services=[make_service("dermatologie", nom="Dermatologie")]
    )
    assert first("dermatologie") == "Zzz fictif ouvert"


def test_equal_scores_are_ordered_by_name_then_stay_in_that_order():
    for name in ("Ccc fictif", "Aaa fictif", "Bbb fictif"):
        make_requis(nom=name, services=[make_service("rhumatologie", nom="Rhumatologie")])
    assert [o.split(" / ")[0] for o in order("rhumatologie")] == [
        "Aaa fictif",
        "Bbb fictif",
        "Ccc fictif",
    ]


def test_alphabetical_order_remains_an_explicit_sort():
    make_requis(nom="Aaa fictif", services=[make_service("geriatrie", description="Cardiologie.")])
    make_requis(nom="Zzz fictif", services=[make_service("cardiologie", nom="Cardiologie")])
    assert first("cardiologie") == "Zzz fictif"
    assert first("cardiologie", tri="nom") == "Aaa fictif"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("opthalmo", "ophtalmo"), ("alzeimer", "alzheimer"), ("dermatolgie", "dermatologie")],
)
def test_misspellings_get_a_suggestion_and_never_silent_results(typed, meant):
    make_requis(
        nom="CH fictif", services=[make_service("ophtalmologie"), make_service("geriatrie")]
    )
    make_requis(nom="CH fictif 2", services=[make_service("dermatologie")])
    results = search(SearchParams(q=typed))
    assert results.total == 0
    assert results.suggestion == meant


def test_a_population_word_ranks_but_does_not_filter():
    make_requis(
        nom="Aaa CHU fictif",
        services=[
            make_service("dermatologie", nom="Dermatologie", description="Eczéma, psoriasis.")
        ],
    )
    make_requis(
        nom="Zzz hôpital fictif des enfants",
        services=[
            make_service(
                "pediatrie", nom="Dermatologie pédiatrique", description="Eczéma du nourrisson."
            )
        ],
    )
    make_requis(nom="Mmm CH fictif", services=[make_service("pediatrie", nom="Pédiatrie")])
    results = search(SearchParams(q="eczéma enfant"))
    assert [s.requis.nom for s in results.services] == [
        "Zzz hôpital fictif des enfants",
        "Aaa CHU fictif",
    ]
    assert first("enfant") in {"Zzz hôpital fictif des enfants", "Mmm CH fictif"}  # alone: filters
    assert "Aaa CHU fictif" not in {s.requis.nom for s in search(SearchParams(q="enfant")).services}
