"""The right recourse first: each ranking rule, the CIM-11 expansion, suggestions, highlights."""

from datetime import timedelta

import pytest

from ato.core.models import paris_day
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


def _closure(start: int, end: int | None) -> dict:
    today = paris_day()
    return {
        "indisponible_du": today + timedelta(days=start),
        "indisponible_au": None if end is None else today + timedelta(days=end),
    }


def test_an_available_recourse_ranks_before_a_temporarily_unavailable_one():
    make_requis(
        nom="Aaa fictif fermé",
        services=[make_service("dermatologie", nom="Dermatologie", **_closure(-1, 3))],
    )
    make_requis(
        nom="Zzz fictif ouvert", services=[make_service("dermatologie", nom="Dermatologie")]
    )
    assert first("dermatologie") == "Zzz fictif ouvert"


@pytest.mark.parametrize(
    ("window", "closed"),
    [((2, 5), False), ((-5, -1), False), ((0, 0), True), ((-3, None), True)],
)
def test_only_a_closure_in_force_today_moves_a_recourse_down(window, closed):
    make_requis(
        nom="Aaa fictif",
        services=[make_service("dermatologie", nom="Dermatologie", **_closure(*window))],
    )
    make_requis(nom="Zzz fictif", services=[make_service("dermatologie", nom="Dermatologie")])
    expected = "Zzz fictif" if closed else "Aaa fictif"
    assert first("dermatologie") == expected
    assert first(specialite="dermatologie") == expected  # a listing without words too


def test_a_closure_starts_at_midnight_without_reindexing(monkeypatch):
    """The index stores the dates; which services are closed is decided at each search."""
    from ato.search import services as search_services

    make_requis(
        nom="Aaa fictif",
        services=[make_service("dermatologie", nom="Dermatologie", **_closure(1, 2))],
    )
    make_requis(nom="Zzz fictif", services=[make_service("dermatologie", nom="Dermatologie")])
    assert first("dermatologie") == "Aaa fictif"
    assert search(SearchParams(q="dermatologie")).engine == "index"
    tomorrow = paris_day() + timedelta(days=1)
    monkeypatch.setattr(search_services, "paris_day", lambda *a: tomorrow)
    applied = search_services.sync.get_index().read_position()
    assert first("dermatologie") == "Zzz fictif"
    assert search_services.sync.get_index().read_position() == applied  # nothing reindexed
    assert first(specialite="dermatologie") == "Zzz fictif"
    monkeypatch.setattr(search_services, "paris_day", lambda *a: tomorrow + timedelta(days=2))
    assert first("dermatologie") == "Aaa fictif"  # and it ends by itself


def test_sql_answers_put_closed_recourses_last_too():
    make_requis(
        nom="Aaa fictif",
        services=[make_service("dermatologie", nom="Dermatologie", **_closure(-1, 2))],
    )
    make_requis(nom="Zzz fictif", services=[make_service("dermatologie", nom="Dermatologie")])
    names = [
        s.requis.nom
        for s in search(SearchParams(specialite="dermatologie"), sql_only=True).services
    ]
    assert names == ["Zzz fictif", "Aaa fictif"]


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
