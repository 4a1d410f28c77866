"""Reference values found by their codes, labels, nomenclature names and synonyms."""

import pytest

from ato.directory import schema, vocabulary
from ato.directory.vocabulary import UnknownValue


@pytest.fixture
def names(app_ctx):
    return schema.Reference.load().names


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("TéléO", "teleo"),
        ("teleo", "teleo"),
        ("TELEO", "teleo"),
        ("Omnidoc", "omnidoc"),
        ("MSSanté", "mssante"),
        ("messagerie sécurisée", "mssante"),
        ("Messagerie sécurisée de santé (MSSanté)", "mssante"),
        ("Téléphone", "telephone"),
        ("tél.", "telephone"),
        ("Formulaire en ligne", "formulaire"),
    ],
)
def test_tools_are_found_by_name_and_synonym(names, typed, slug):
    assert names.outils.code(typed) == slug


@pytest.mark.parametrize(
    ("typed", "slug"),
    [
        ("cardiologie", "cardiologie"),
        ("Cardiologie", "cardiologie"),
        ("Cardiologie et maladies vasculaires", "cardiologie"),  # ANS TRE_R38 label
        ("Cardiologie et Maladies vasculaires (SM)", "cardiologie"),
        ("SM04", "cardiologie"),
        ("cardio", "cardiologie"),  # a synonym the search knows
        ("Psychiatrie, option enfant et adolescent", "pedopsychiatrie"),
        ("soins palliatifs", "soins-palliatifs"),
        ("plaies-et-cicatrisation", "plaies-et-cicatrisation"),
    ],
)
def test_specialties_are_found_by_slug_label_ans_name_code_and_synonym(names, typed, slug):
    assert names.specialites.code(typed) == slug


@pytest.mark.parametrize(
    ("typed", "code"), [("31", "31"), ("Haute-Garonne", "31"), ("haute garonne", "31"), ("9", "09")]
)
def test_departements_are_found_by_code_and_name(names, typed, code):
    assert names.departements.code(typed) == code


@pytest.mark.parametrize(("typed", "code"), [("10", "10"), ("Médecin", "10"), ("infirmière", "60")])
def test_professions_are_found_by_code_and_name(names, typed, code):
    assert names.professions.code(typed) == code


def test_an_unknown_value_is_answered_with_the_closest_labels_never_codes(names):
    with pytest.raises(UnknownValue) as caught:
        names.outils.code("Omnidok")
    assert (
        str(caught.value) == "« Omnidok » n'est pas un outil connu. Vouliez-vous dire : Omnidoc ?"
    )


def test_a_short_list_is_given_in_full_when_nothing_comes_close(names):
    with pytest.raises(UnknownValue, match="Valeurs acceptées : Adultes et enfants, Adultes"):
        names.publics.code("personnes âgées")


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("oui", True),
        ("X", True),
        ("1", True),
        ("Vrai", True),
        ("non", False),
        ("0", False),
        ("faux", False),
        ("", False),
    ],
)
def test_spreadsheet_booleans(typed, answer):
    assert vocabulary.boolean(typed) is answer


def test_a_boolean_that_is_neither_is_refused():
    with pytest.raises(UnknownValue, match="indiquez oui ou non"):
        vocabulary.boolean("peut-être")


def test_an_entry_takes_names_and_stores_codes(app_ctx):
    entry = schema.validate(
        {
            "nature": "Établissement",
            "requis": {
                "nom": "CHU fictif",
                "finess": "310781406",
                "ville": "Toulouse",
                "departement": "Haute-Garonne",
            },
            "contact": {"nom": "Camille", "email": "camille@exemple.fr"},
            "services": [
                {
                    "nom": "Télécardiologie",
                    "specialite": "Cardiologie et maladies vasculaires",
                    "thematiques": "Insuffisance cardiaque; ic",
                    "delai_minutes": "1 h 30",
                    "public": "adultes",
                    "regional": "non",
                    "departements": "Haute-Garonne, Gers",
                    "canaux": [{"outil": "MSSanté", "adresse": "cardio@chu-fictif.mssante.fr"}],
                }
            ],
        }
    )
    service = entry["services"][0]
    assert entry["nature"] == "etablissement" and entry["requis"]["departement"] == "31"
    assert (service["specialite"], service["thematiques"]) == (
        "cardiologie",
        ["insuffisance-cardiaque"],
    )
    assert (service["delai_minutes"], service["public"]) == (90, "adulte")
    assert (service["regional"], service["departements"]) == (False, ["31", "32"])
    assert service["canaux"][0]["outil"] == "mssante"


def test_an_unknown_tool_is_said_once_not_again_beside_its_address(app_ctx):
    data = {
        "nature": "etablissement",
        "requis": {"nom": "CHU", "finess": "310781406", "ville": "Toulouse", "departement": "31"},
        "contact": {"nom": "Camille", "email": "camille@exemple.fr"},
        "services": [
            {
                "nom": "S",
                "specialite": "dermatologie",
                "regional": True,
                "canaux": [{"outil": "Fax", "adresse": "05 61 00 00 00"}],
            }
        ],
    }
    with pytest.raises(schema.InvalidEntry) as caught:
        schema.validate(data)
    assert caught.value.errors == {
        ("services", 0, "canaux", 0, "outil"): [
            "« Fax » n'est pas un outil connu. Valeurs acceptées : TéléO, Omnidoc, "
            "Messagerie sécurisée de santé (MSSanté), Téléphone, Formulaire en ligne, "
            "Autre processus."
        ]
    }
