"""From what a requérant types to index terms — never through Whoosh's query language.

The text is folded and split into words; known phrases are recognised first
(longest match): specialty labels, synonyms and abbreviations ("dermato",
"pédopsy", "AVC") become *concepts*, place names and codes ("toulouse",
"haute garonne", "34") become a département. The remaining words are stemmed;
the last one also matches as a prefix when its stem is long enough to be
selective. The search then reads the posting lists of these terms itself
(see services): fields, wildcards, ranges and boosts typed by users are plain
text here — ``texte:x`` is the two words "texte" and "x".
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from ato.directory.models import Departement, Requis, Specialite, Statut
from ato.extensions import db
from ato.search.analysis import STOP_WORDS, stem, words

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MIN_PREFIX = 4  # shorter stems ("vi" for "vie") would expand to hundreds of terms
MAX_PHRASE = 5
TEXT_FIELD = "tout"
TITLE_FIELD = "titre"
COMMUNES_FILE = Path(__file__).resolve().parents[2] / "seed" / "communes.csv"
VOCABULARY_TTL = 60.0


@dataclass(frozen=True)
class Vocabulary:
    """Known phrases, keyed by the stems of their words."""

    concepts: dict[tuple[str, ...], str]  # -> specialty slug
    places: dict[tuple[str, ...], str]  # -> département code
    longest: int


def _key(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def build_vocabulary() -> Vocabulary:
    concepts: dict[tuple[str, ...], str] = {}
    for spec in db.session.scalars(select(Specialite)):
        for phrase in (spec.libelle, spec.slug.replace("-", " "), *spec.synonymes):
            key = _key(phrase)
            if key:
                concepts.setdefault(key, spec.slug)
    places: dict[tuple[str, ...], str] = {}
    for dep in db.session.scalars(select(Departement)):
        places[(dep.code,)] = dep.code
        places[_key(dep.nom)] = dep.code
    with COMMUNES_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            places.setdefault(_key(row["nom"]), row["departement"])
    towns = db.session.execute(
        select(Requis.ville, Requis.departement_code)
        .where(Requis.statut == Statut.PUBLISHED)
        .distinct()
    )
    for ville, code in towns:
        places.setdefault(_key(ville), code)
    places = {k: v for k, v in places.items() if k and k not in concepts}
    longest = max((len(k) for k in (*concepts, *places)), default=1)
    return Vocabulary(concepts, places, min(longest, MAX_PHRASE))


_cache: dict[str, tuple[float, Vocabulary]] = {}


def vocabulary() -> Vocabulary:
    """The vocabulary, rebuilt from the database at most once a minute per process."""
    from flask import current_app

    key = current_app.config["SQLALCHEMY_DATABASE_URI"]
    cached = _cache.get(key)
    if cached is None or time.monotonic() - cached[0] > VOCABULARY_TTL:
        cached = (time.monotonic(), build_vocabulary())
        _cache[key] = cached
    return cached[1]


def forget_vocabulary() -> None:
    _cache.clear()


@dataclass
class ParsedQuery:
    raw: str
    terms: list[str] = field(default_factory=list)  # stems of free words
    free_words: list[str] = field(default_factory=list)  # the same words, folded
    concepts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # slug, stems
    place: str | None = None
    place_words: str = ""
    prefix: str | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.concepts or self.prefix)

    @property
    def normalised(self) -> str:
        """The query as stored for unmet-demand statistics: folded words, no places."""
        return " ".join(self.free_words + [s for s, _ in self.concepts])[:MAX_QUERY_LENGTH]

    def highlight_stems(self) -> tuple[frozenset[str], tuple[str, ...]]:
        stems = set(self.terms)
        for _, key in self.concepts:
            stems.update(key)
        return frozenset(stems), ((self.prefix,) if self.prefix else ())


def clean(text: str) -> str:
    """Collapse white space, drop control characters and cap the length."""
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())[:MAX_QUERY_LENGTH]


def parse(text: str, vocab: Vocabulary) -> ParsedQuery:
    raw = clean(text)
    parsed = ParsedQuery(raw=raw)
    tokens = words(raw)[: MAX_TERMS * 3]
    stems = [stem(t) for t in tokens]
    i = 0
    last_free: int | None = None
    while i < len(tokens) and len(parsed.terms) + len(parsed.concepts) < MAX_TERMS:
        for size in range(min(vocab.longest, len(tokens) - i), 0, -1):
            key = tuple(stems[i : i + size])
            if key in vocab.concepts:
                parsed.concepts.append((vocab.concepts[key], key))
                i += size
                break
            if key in vocab.places:
                if parsed.place is None:
                    parsed.place = vocab.places[key]
                    parsed.place_words = " ".join(tokens[i : i + size])
                i += size
                break
        else:
            word = tokens[i]
            if word not in STOP_WORDS and len(word) >= 2:
                parsed.terms.append(stems[i])
                parsed.free_words.append(word)
                last_free = i
            i += 1
            continue
    ends_with_space = text[-1:].isspace()
    if last_free is not None and last_free == len(tokens) - 1 and not ends_with_space:
        candidate = parsed.terms[-1]
        if len(candidate) >= MIN_PREFIX:
            parsed.prefix = parsed.terms.pop()
    return parsed
