"""From typed text to a safe Whoosh query."""

import pytest

from ato.search.query import MAX_TERMS, build_vocabulary, parse

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def vocab():
    return build_vocabulary()


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("dermato", "dermatologie"),
        ("DERMATO", "dermatologie"),
        ("cardio", "cardiologie"),
        ("ORL", "orl"),
        ("pédopsy", "pedopsychiatrie"),
        ("pedopsy", "pedopsychiatrie"),
        ("AVC", "avc"),
        ("accident vasculaire cérébral", "avc"),
        ("ehpad", "geriatrie"),
        ("plaie chronique", "plaies-et-cicatrisation"),
        ("soins palliatifs", "soins-palliatifs"),
    ],
)
def test_synonyms_and_abbreviations_become_specialties(vocab, text, slug):
    parsed = parse(text + " ", vocab)
    assert [s for s, _ in parsed.concepts] == [slug]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("dermato toulouse", "31"),
        ("haute garonne", "31"),
        ("Haute-Garonne", "31"),
        ("avc 34", "34"),
        ("herault", "34"),
        ("Hérault", "34"),
        ("tarn et garonne", "82"),
        ("tarn", "81"),
        ("pyrenees orientales", "66"),
        ("nîmes", "30"),
    ],
)
def test_place_words_act_on_the_departement(vocab, text, code):
    parsed = parse(text, vocab)
    assert parsed.place_codes == (code,)
    assert not parsed.terms and not parsed.prefix


def test_last_word_is_a_prefix_only_when_its_stem_is_selective(vocab):
    assert parse("cardiol", vocab).prefix == "cardiol"
    assert parse("fin de vi", vocab).prefix is None  # "vi*" would explode
    assert parse("rea", vocab).prefix is None


def test_a_trailing_space_means_the_word_is_complete(vocab):
    parsed = parse("hopital ", vocab)
    assert parsed.prefix is None and parsed.terms == ["hopital"]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("texte:secret", ["text", "secret"]),
        ("nom:* OR *a*", ["nom", "or"]),  # "OR" is a word here, not an operator
        ("spec:[a TO z]", ["spec", "to"]),
        ("a^100", ["100"]),
        ('"x"~3', []),
    ],
)
def test_query_language_is_plain_text(vocab, text, terms):
    parsed = parse(text + " ", vocab)
    assert parsed.terms == terms and parsed.prefix is None and not parsed.concepts


def test_number_of_terms_is_capped(vocab):
    parsed = parse(" ".join(f"mot{i}xyz" for i in range(50)), vocab)
    assert len(parsed.terms) + (1 if parsed.prefix else 0) <= MAX_TERMS


def test_only_stop_words_leaves_nothing_to_search(vocab):
    assert not parse("de la le les", vocab).has_text
