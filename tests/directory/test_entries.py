"""Each check of an entry's values (the one validation point of every door in)."""

from types import SimpleNamespace

import pytest

from ato.core.text import single_line_problem
from ato.directory import entries


def check(rule, value):
    """(error, result) where result.value is the normal form and result.warnings what was said."""
    result = SimpleNamespace(value=SimpleNamespace(data=None), warnings=[])
    try:
        if rule is entries.web_address:
            result.value.data = rule(value, result.warnings)
        else:
            result.value.data = rule(value)
    except ValueError as exc:
        return str(exc), result
    return None, result


@pytest.mark.parametrize("value", ["310781406", "340780477", "31 078 140 6", "310.781.406"])
def test_real_finess_numbers_are_valid(value):
    error, form = check(entries.finess, value)
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
    error, _ = check(entries.finess, value)
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
    error, _ = check(entries.rpps, value)
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
    error, form = check(entries.phone, value)
    assert error is None and form.value.data == normalised


@pytest.mark.parametrize("value", ["12345", "15", "0061000000", "05 61 00 00", "abc"])
def test_invalid_phone_numbers_are_refused(value):
    assert check(entries.phone, value)[0] == "Numéro de téléphone invalide (ex. : 05 61 00 00 00)."


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
    error, form = check(entries.web_address, value)
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
        entries.mssante(value)
        error = None
    except ValueError as exc:
        error = str(exc)
    assert (error is None) if error_part is None else (error_part in error)


@pytest.mark.parametrize("value", ["Nom\r\nBcc: x@y.fr", "a\nb"])
def test_line_breaks_are_refused_in_one_line_fields(value):
    assert single_line_problem(value) == "Ce champ tient sur une seule ligne."


@pytest.mark.parametrize(("value", "ok"), [("a@b.fr", True), ("a@b", False), ("a b@c.fr", False)])
def test_emails_are_validated(value, ok):
    assert (check(entries.email, value)[0] is None) is ok
