"""What staff read of an entry: a French label for every key, every value in words."""

import pytest

from ato.directory import entries, labels, schema
from ato.directory.models import NatureRequis
from tests.factories import make_requis, make_service


def _keys(entry):
    """Every key of an entry, nested services and channels included, as (section, key)."""
    yield "", "nature"
    for section in ("requis", "contact"):
        yield from ((section, k) for k in entry[section])
    for service in entry["services"]:
        yield from (("services", k) for k in service)
        for canal in service["canaux"]:
            yield from (("canaux", k) for k in canal)


@pytest.mark.parametrize("nature", list(NatureRequis))
def test_every_key_of_an_entry_has_a_french_label(app_ctx, nature):
    entry = entries.from_requis(
        make_requis(nature=nature, services=[make_service(couverture=["31"])])
    )
    for section, key in _keys(entry):
        label = labels.label(section, key)
        assert label and label != key and "_" not in label, (section, key)


def test_every_field_of_the_schema_has_a_french_label():
    sections = {
        "requis": schema.IDENTITY,
        "contact": schema.Contact.model_fields,
        "services": schema.ServiceEntry.model_fields,
        "canaux": schema.Channel.model_fields,
    }
    for section, keys in sections.items():
        for key in keys:
            assert labels.label(section, key) != key, (section, key)


def test_the_delay_is_labelled_under_its_old_and_new_key():
    assert labels.label("services", "delai_heures") == labels.label("services", "delai_minutes")


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("departement", "31", "Haute-Garonne (31)"),
        ("departements", ["31", "32", "81"], "Haute-Garonne (31), Gers (32) et Tarn (81)"),
        ("departements", ["31", "81"], "Haute-Garonne (31) et Tarn (81)"),
        ("departements", [], "—"),
        ("specialite", "dermatologie", "Dermatologie"),
        ("thematiques", ["plaies-et-cicatrisation"], "Plaies et cicatrisation"),
        ("outil", "teleo", "TéléO"),
        ("regional", True, "Oui"),
        ("regional", False, "Non"),
        ("site_web", None, "—"),
        ("site_web", "", "—"),
        ("delai_heures", 168, "sous 1 semaine"),  # journaled in hours before 0016
        ("delai_minutes", 30, "sous 30 min"),
        ("delai_minutes", 90, "sous 1 h 30"),
        ("delai_heures", None, "non précisé"),
        ("public", "pediatrique", "Enfants (pédiatrie)"),
        ("nature", "etablissement", "Établissement de santé"),
        ("civilite", "Dr", "Docteur"),
        ("type_dispositif", "DAC", "Dispositif d'appui à la coordination (DAC)"),
        ("profession", "10", "Médecin"),
        ("nom", "Clinique fictive", "Clinique fictive"),
    ],
)
def test_values_are_said_in_words(app_ctx, key, value, shown):
    assert labels.Vocabulary.load().value(key, value) == shown


def test_an_unknown_code_is_shown_as_it_is(app_ctx):
    vocabulary = labels.Vocabulary.load()
    assert vocabulary.value("specialite", "disparue") == "disparue"
    assert vocabulary.value("public", "inconnu") == "inconnu"


def test_channels_name_their_tool(app_ctx):
    vocabulary = labels.Vocabulary.load()
    canaux = [
        {"outil": "teleo", "adresse": "https://teleo.exemple.fr/a"},
        {"outil": "mssante", "adresse": "a@b.mssante.fr"},
    ]
    assert vocabulary.value("canaux", canaux) == (
        "TéléO : https://teleo.exemple.fr/a ; "
        "Messagerie sécurisée de santé (MSSanté) : a@b.mssante.fr"
    )


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("requis.code_postal", "Code postal"),
        ("contact.email", "Courriel du contact"),
        ("service 2.delai_heures", "Service 2 — Délai de réponse annoncé"),
        ("service Télédermatologie.indisponible", "Service Télédermatologie — Indisponible"),
        ("nature", "Type de fiche"),
    ],
)
def test_a_flat_field_of_a_diff_has_a_label(path, label):
    assert labels.path_label(path) == label


def test_a_comparison_says_what_it_changes(app_ctx):
    published = entries.from_requis(make_requis(services=[make_service(), make_service()]))
    proposed = {**published, "services": [dict(published["services"][0], pieces="Rien")]}
    proposed["requis"] = {**published["requis"], "ville": "Muret", "telephone": "05 61 00 00 00"}
    blocks = labels.compare(proposed, published)
    assert labels.tally(blocks) == "3 champs modifiés et 1 service supprimé"
    assert labels.tally(labels.compare(published, published)) == "—"
