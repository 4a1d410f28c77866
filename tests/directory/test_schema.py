"""The entry schema and the checks of its values (the one validation point of every door in)."""

from types import SimpleNamespace

import pytest

from ato.core.text import single_line_problem, web_address
from ato.directory import checks, entries, schema


def check(rule, value):
    """(error, result) where result.value is the normal form and result.warnings what was said."""
    result = SimpleNamespace(value=SimpleNamespace(data=None), warnings=[])
    try:
        if rule is web_address:
            result.value.data = rule(value, result.warnings)
        else:
            result.value.data = rule(value)
    except ValueError as exc:
        return str(exc), result
    return None, result


@pytest.mark.parametrize("value", ["310781406", "340780477", "31 078 140 6", "310.781.406"])
def test_real_finess_numbers_are_valid(value):
    error, form = check(checks.finess, value)
    assert error is None and len(form.value.data) == 9


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("310781407", "clé de contrôle"),
        ("31078140", "9 chiffres"),
        ("31078140A", "9 chiffres"),
        ("3107814060", "9 chiffres"),
    ],
)
def test_invalid_finess_numbers_are_refused(value, message):
    error, _ = check(checks.finess, value)
    assert error and message in error


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("10003456786", None),
        ("10003456787", "clé de contrôle"),
        ("1000345678", "11 chiffres"),
        ("1000345678a", "11 chiffres"),
    ],
)
def test_rpps_has_11_digits_and_a_luhn_key(value, ok):
    from stdnum import luhn

    assert luhn.is_valid("10003456786")
    error, _ = check(checks.rpps, value)
    assert (error is None) if ok is None else (ok in error)


@pytest.mark.parametrize(
    ("value", "normalised"),
    [
        ("0561000000", "05 61 00 00 00"),
        ("05.61.00.00.00", "05 61 00 00 00"),
        ("+33 5 61 00 00 00", "05 61 00 00 00"),
        ("0033561000000", "05 61 00 00 00"),
    ],
)
def test_phone_numbers_are_normalised(value, normalised):
    error, form = check(checks.phone, value)
    assert error is None and form.value.data == normalised


@pytest.mark.parametrize("value", ["12345", "15", "0061000000", "05 61 00 00", "abc"])
def test_invalid_phone_numbers_are_refused(value):
    assert check(checks.phone, value)[0] == "Numéro de téléphone invalide (ex. : 05 61 00 00 00)."


@pytest.mark.parametrize(
    ("value", "error_part", "warned"),
    [
        ("https://www.chu-exemple.fr/", None, False),
        ("http://www.chu-exemple.fr/", None, True),
        ("javascript:alert(1)", "https://", False),
        ("ftp://x.fr", "https://", False),
        ("www.chu.fr", "https://", False),
    ],
)
def test_web_addresses_are_https_or_http_with_a_warning(value, error_part, warned):
    error, form = check(web_address, value)
    assert (error is None) if error_part is None else (error_part in error)
    assert bool(form.warnings) is warned


@pytest.mark.parametrize(
    ("value", "error_part"),
    [
        ("dermato@chu-toulouse.mssante.fr", None),
        ("dr.martin@medecin.mssante.fr", None),
        ("jean.dupont@patient.mssante.fr", "patients"),
        ("dermato@chu-toulouse.fr", ".mssante.fr"),
        ("pas-une-adresse", "invalide"),
    ],
)
def test_mssante_addresses(value, error_part):
    try:
        checks.mssante(value)
        error = None
    except ValueError as exc:
        error = str(exc)
    assert (error is None) if error_part is None else (error_part in error)


@pytest.mark.parametrize("value", ["Nom\r\nBcc: x@y.fr", "a\nb"])
def test_line_breaks_are_refused_in_one_line_fields(value):
    assert single_line_problem(value) == "Ce champ tient sur une seule ligne."


@pytest.mark.parametrize(("value", "ok"), [("a@b.fr", True), ("a@b", False), ("a b@c.fr", False)])
def test_emails_are_validated(value, ok):
    assert (check(checks.email, value)[0] is None) is ok


# --- the schema: one validation point, errors by location ---------------------------------------


def _entry(**identity):
    return {
        "nature": "etablissement",
        "requis": {
            "nom": " CHU fictif ",
            "finess": "310 781 406",
            "ville": "Toulouse",
            "departement": "31",
            "telephone": "+33 5 61 00 00 00",
            **identity,
        },
        "contact": {"nom": "Camille", "email": " Camille@Exemple.FR "},
        "services": [
            {
                "nom": "Télédermatologie",
                "specialite": "dermatologie",
                "regional": True,
                "canaux": [
                    {"outil": "", "adresse": ""},
                    {"outil": "mssante", "adresse": "dermato@chu-fictif.mssante.fr"},
                ],
            }
        ],
    }


def test_a_valid_entry_comes_back_in_its_normal_form(app_ctx):
    entry = schema.validate(_entry())
    assert entry["requis"]["nom"] == "CHU fictif"
    assert entry["requis"]["finess"] == "310781406"
    assert entry["requis"]["telephone"] == "05 61 00 00 00"
    assert entry["contact"]["email"] == "camille@exemple.fr"
    assert entry["services"][0]["canaux"] == [
        {"outil": "mssante", "adresse": "dermato@chu-fictif.mssante.fr"}
    ]  # the blank row is dropped
    assert entry["services"][0]["departements"] == []


def test_every_error_comes_back_with_its_location(app_ctx):
    data = _entry(finess="310781407", departement="75", rpps="10003456786")
    data["services"][0]["canaux"][1]["adresse"] = "x@patient.mssante.fr"
    data["services"][0]["regional"] = False
    with pytest.raises(schema.InvalidEntry) as caught:
        schema.validate(data)
    errors = caught.value.errors
    assert set(errors) == {
        ("requis", "finess"),
        ("requis", "departement"),
        ("requis", "rpps"),
        ("services", 0, "departements"),
        ("services", 0, "canaux", 0, "adresse"),
    }
    assert "clé de contrôle" in errors[("requis", "finess")][0]
    assert "patients" in errors[("services", 0, "canaux", 0, "adresse")][0]
    assert all(m.endswith(".") for ms in errors.values() for m in ms)  # whole French sentences


def test_what_each_kind_of_entry_requires(app_ctx):
    data = _entry(finess="")
    data["nature"] = "liberal"
    with pytest.raises(schema.InvalidEntry) as caught:
        schema.validate(data)
    assert {loc[1] for loc in caught.value.errors} >= {"rpps", "prenom", "profession"}
    assert caught.value.errors[("requis", "rpps")] == ["Le numéro RPPS est obligatoire."]


def test_an_entry_round_trips_through_a_requis(app_ctx):
    from ato.directory.models import Statut

    entry = schema.validate(_entry())
    requis = entries.new_requis(
        entry, Statut.EN_ATTENTE if hasattr(Statut, "EN_ATTENTE") else Statut.EN_ATTENTE
    )
    assert entries.diff(entry, entries.from_requis(requis)) == {}
