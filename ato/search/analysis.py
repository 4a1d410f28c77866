"""French text analysis shared by indexing, querying and highlighting.

Case, accents and ligatures are folded, French stop words dropped and words
reduced to their Snowball stem, so that "Pédiatrie", "pediatrique" and
"pédiatres" meet. The index uses Whoosh's own tokenizer, stop and stem filters
(with positions, for phrase matching); queries go through :func:`analyse`,
which applies the same steps to the same words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import (
    Analyzer,
    Filter,
    RegexTokenizer,
    ShingleFilter,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stemmer_for_language, stopwords_for_language

from ato.core.text import fold

WORD = re.compile(r"\w+", re.UNICODE)
MIN_LENGTH = 2


def words(text: str) -> list[str]:
    """The folded words of a text, without any stemming or stop word removal."""
    return WORD.findall(fold(text))


STOP_WORDS = frozenset(fold(w) for w in stopwords_for_language("fr")) | {
    "l", "d", "s", "n", "j", "qu", "les", "du", "des", "aux", "un", "une", "et", "ou",
    "pour", "par", "sur", "avec", "en", "dans", "chez",
}  # fmt: skip


class FoldFilter(Filter):
    """Whoosh filter applying :func:`fold` (lowercase, accents and ligatures)."""

    def __call__(self, tokens):  # noqa: ANN001, ANN204
        for token in tokens:
            token.text = fold(token.text)
            yield token


stem = lru_cache(maxsize=50_000)(stemmer_for_language("fr"))
"""The stem of one folded word, as the index's ``StemFilter(lang="fr")`` computes it."""


def french_analyzer(stemmed: bool = True) -> Analyzer:
    """The analyzer of every full-text field (``stemmed=False``: the spelling vocabulary)."""
    chain = (
        RegexTokenizer(WORD)
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=MIN_LENGTH if stemmed else 3)
    )
    return chain | StemFilter(lang="fr", cachesize=50_000) if stemmed else chain


#: Markers separating the parts of a weighted text (see :func:`weighted_analyzer`).
PART_MARKERS = {"zzztexte": 1.0, "zzzannexe": 0.3}
TITLE_WEIGHT = 3.0


def weighted_text(title: str, text: str, annexe: str) -> str:
    """One field value whose parts weigh differently: names and specialties, description and
    place, then who may ask and what to attach."""
    return f"{title} zzztexte {text} zzzannexe {annexe}"


class PartWeightFilter(Filter):
    """Gives each token the weight of its part and drops the markers between parts.

    Whoosh adds token weights into the term frequency BM25 reads: a word of a
    service's name counts three times one of its description, in one posting
    list per word (a field per part would cost a matcher per part and word).
    """

    def __call__(self, tokens):  # noqa: ANN001, ANN204
        weight = TITLE_WEIGHT
        for token in tokens:
            if token.text in PART_MARKERS:
                weight = PART_MARKERS[token.text]
                continue
            token.boost = weight
            yield token


def weighted_analyzer() -> Analyzer:
    """The analyzer of the scored text field: :func:`french_analyzer` with part weights."""
    return (
        RegexTokenizer(WORD)
        | FoldFilter()
        | PartWeightFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=MIN_LENGTH)
        | StemFilter(lang="fr", cachesize=50_000)
    )


def pairs_analyzer() -> Analyzer:
    """Consecutive stems as one term ("ulcer jamb"): the words of a query found together.

    A term per pair is read like any word, where a phrase query would read
    positions for every match: the phrase bonus then costs one posting list.
    """
    return french_analyzer() | ShingleFilter(size=2, sep=" ")


def town_key(name: str) -> str:
    """A town as one term: its stems joined ("Bagnères-de-Bigorre" → "bagner bigorr")."""
    return " ".join(analyse(name))


def analyse(text: str) -> list[str]:
    """Stems of the meaningful words of ``text``, in order (the query-side analysis)."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS and len(w) >= MIN_LENGTH]
