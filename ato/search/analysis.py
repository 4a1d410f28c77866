"""French text analysis shared by indexing, querying and highlighting.

Case and accents are folded, French stop words dropped and words reduced to
their Snowball stem, so that "Pédiatrie", "pediatrique" and "pédiatres" meet.
The same analyzer runs on both sides: what is indexed and what is asked always
agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Analyzer, Filter, RegexTokenizer, StemFilter, StopFilter
from whoosh.lang import stemmer_for_language, stopwords_for_language

WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase, strip accents and ligatures: ``Œdème Cœur`` → ``oedeme coeur``."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text, without any stemming or stop word removal."""
    return WORD.findall(fold(text))


STOP_WORDS = frozenset(fold(w) for w in stopwords_for_language("fr")) | {
    "l",
    "d",
    "s",
    "n",
    "j",
    "qu",
    "les",
    "du",
    "des",
    "aux",
    "un",
    "une",
    "et",
    "ou",
    "pour",
    "par",
    "sur",
    "avec",
    "en",
    "dans",
    "chez",
}
_stem = lru_cache(maxsize=50_000)(stemmer_for_language("fr"))


def stem(word: str) -> str:
    return _stem(word)


class FoldFilter(Filter):
    """Whoosh filter applying :func:`fold` (case, accents, œ/æ) to each token."""

    def __call__(self, tokens):  # noqa: ANN001, ANN204
        for token in tokens:
            token.text = fold(token.text)
            yield token


def french_analyzer() -> Analyzer:
    """The Whoosh analyzer of every full-text field."""
    return (
        RegexTokenizer(r"\w+")
        | FoldFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=2)
        | StemFilter(stemfn=stem, cachesize=-1)
    )


def analyse(text: str) -> list[str]:
    """Stems of the meaningful words of ``text``, in order (the query-side analysis)."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS and len(w) >= 2]
