"""French analysis: folding, stop words, stemming."""

import pytest

from ato.search.analysis import analyse, fold, french_analyzer


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Pédiatrie", "pediatrie"), ("ŒDÈME", "oedeme"), ("cœur", "coeur"), ("Gériatre", "geriatre")],
)
def test_case_accents_and_ligatures_are_folded(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("pédiatrie", "PEDIATRIE"),
        ("plaies", "plaie"),
        ("palliatifs", "palliatif"),
        ("gériatrie", "geriatrie"),
        ("chroniques", "chronique"),
    ],
)
def test_variants_meet_on_the_same_stem(a, b):
    assert analyse(a) == analyse(b)


def test_french_stop_words_are_dropped():
    assert analyse("le suivi de la plaie et des soins") == analyse("suivi plaie soins")


def test_index_and_query_analysis_agree():
    text = "Équipe mobile de soins palliatifs pour l'enfant, œdèmes"
    assert [t.text for t in french_analyzer()(text)] == analyse(text)
