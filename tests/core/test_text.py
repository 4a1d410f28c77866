"""One normalisation of e-mail addresses for every door in."""

import pytest

from ato.core.text import normalize_email, valid_email


@pytest.mark.parametrize(
    "typed",
    [
        "camille@chu.fr",
        " camille@chu.fr",
        "camille@chu.fr ",
        "\tCamille@CHU.fr\n",
        "\u00a0camille@chu.fr\u00a0",  # a no-break space pasted from a signature
        "\u2003CAMILLE@CHU.FR",
    ],
)
def test_spaces_and_case_around_an_address_are_not_part_of_it(typed):
    assert normalize_email(typed) == "camille@chu.fr"
    assert valid_email(typed) == "camille@chu.fr"


def test_a_decomposed_accent_is_the_same_address_as_a_composed_one():
    assert normalize_email("Ame\u0301lie@chu.fr") == normalize_email("Amélie@chu.fr")


def test_normalising_an_empty_value_gives_an_empty_address():
    assert normalize_email(None) == "" and normalize_email("   ") == ""


@pytest.mark.parametrize("typed", ["", "pas-un-courriel", "a@b", "camille @chu.fr", "a@@chu.fr"])
def test_an_invalid_address_is_refused_in_french(typed):
    with pytest.raises(ValueError, match="Adresse électronique invalide"):
        valid_email(typed)


def test_one_folding_for_search_sorting_and_imports():
    from ato.core.text import fold
    from ato.directory.services import sort_key
    from ato.search.analysis import fold as search_fold

    assert fold("Cœur ÉPAULE Ægis") == "coeur epaule aegis"
    assert sort_key("Cœur") == search_fold("Cœur") == "coeur"


def test_fictional_addresses_are_accepted_only_when_asked():
    import pytest as _pytest

    from ato.core.text import valid_email

    with _pytest.raises(ValueError):
        valid_email("contact@exemple.invalid")
    assert valid_email("Contact@Exemple.INVALID", fictional=True) == "contact@exemple.invalid"
    with _pytest.raises(ValueError):
        valid_email("pas une adresse@exemple.invalid", fictional=True)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 résultat"),
        (1, "1 résultat"),
        (1.5, "1,5 résultat"),
        (2, "2 résultats"),
        (1234, "1\u202f234 résultats"),
    ],
)
def test_a_count_agrees_with_its_word_by_the_french_rule(count, expected):
    from ato.core.text import plural

    assert plural(count, "résultat") == expected


def test_an_irregular_plural_is_given_and_the_word_alone_can_agree():
    from ato.core.text import plural, plural_form

    assert (
        plural(3, "professionnel libéral", "professionnels libéraux") == "3 professionnels libéraux"
    )
    assert plural(1, "recours", "recours") == "1 recours"
    assert [plural_form(n, "accepte", "acceptent") for n in (1, 2)] == ["accepte", "acceptent"]
