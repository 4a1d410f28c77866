"""Response times typed as people write them, kept in minutes, said back as people say them."""

import pytest

from ato.directory import delays


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("30 min", 30),
        ("45 minutes", 45),
        ("1 h 30", 90),
        ("1h30", 90),
        ("1 h 30 min", 90),
        ("72 h", 72 * 60),
        ("72 heures", 72 * 60),
        ("48", 48 * 60),  # a bare number stays hours
        (" 24H ", 24 * 60),
        ("1,5 h", 90),
        ("5 jours", 5 * 24 * 60),
        ("J+2", 2 * 24 * 60),
        ("1 semaine", 7 * 24 * 60),
        ("2 sem.", 14 * 24 * 60),
        ("sous 24 h", 24 * 60),
        ("Sous 48h maximum", 48 * 60),
        ("2 jours et 12 h", 60 * 60),
        (120, 120 * 60),  # a number from a spreadsheet cell: hours too
    ],
)
def test_delays_are_read_in_every_unit(typed, minutes):
    assert delays.parse(typed) == minutes


@pytest.mark.parametrize(
    "typed", ["rapide", "24h/24", "30 min 2 h", "2 jours 12", "5 mois", "h", "", "1 an"]
)
def test_what_is_not_a_delay_is_refused_with_examples(typed):
    with pytest.raises(ValueError, match="n'est pas un délai reconnu.*30 min, 48 h"):
        delays.parse(typed)


@pytest.mark.parametrize(
    ("typed", "message"), [("0 h", "au moins une minute"), ("200 jours", "90 jours")]
)
def test_delays_out_of_bounds_are_refused(typed, message):
    with pytest.raises(ValueError, match=message):
        delays.parse(typed)


@pytest.mark.parametrize(
    ("minutes", "said"),
    [
        (30, "30 min"),
        (240, "4 h"),
        (90, "1 h 30"),
        (65, "1 h 05"),
        (24 * 60, "24 h"),
        (48 * 60, "48 h"),
        (72 * 60, "3 jours"),
        (5 * 24 * 60, "5 jours"),
        (7 * 24 * 60, "1 semaine"),
        (14 * 24 * 60, "2 semaines"),
        (100 * 60, "100 h"),
    ],
)
def test_delays_are_said_in_the_largest_exact_unit(minutes, said):
    assert delays.words(minutes) == said
    assert delays.parse(said) == minutes  # what is shown can be typed again


def test_a_long_text_is_refused_without_being_read():
    with pytest.raises(ValueError, match="n'est pas un délai reconnu"):
        delays.parse("9" * 5000)
