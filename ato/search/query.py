"""From what a requérant types to a Whoosh query — never through Whoosh's query language.

The text is folded and split into words; known phrases are recognised first
(longest match): specialty labels, synonyms and abbreviations ("dermato",
"pédopsy", "AVC") become *concepts*; place names and codes ("toulouse",
"haute garonne", "34") become départements; a disease, sign or condition of the
CIM-11 ("alzheimer", "fibrillation auriculaire") becomes an *expansion* to the
specialties that handle it. The remaining words are stemmed; the last one also
matches as a prefix when its stem is long enough to be selective. Fields,
wildcards and boosts typed by users are plain text here: ``texte:x`` is the
two words "texte" and "x".
"""

from __future__ import annotations

import csv
import time
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import select
from whoosh import query as wq

from ato.directory.models import Departement, Requis, Specialite, Statut
from ato.extensions import db
from ato.search import clinical
from ato.search.analysis import STOP_WORDS, WORD, fold, stem, town_key, words

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MIN_PREFIX = 4  # shorter stems ("vi" for "vie") would expand to hundreds of terms
MAX_PHRASE = 5
COMMUNES_FILE = Path(__file__).resolve().parents[2] / "seed" / "communes.csv"
VOCABULARY_TTL = 60.0

#: BM25F field weights: what a service is (its names, its specialties and their
#: synonyms) counts more than what its description mentions in passing.
TEXT_FIELD = "tout"  # its parts weigh in the index itself (analysis.weighted_text)
MAIN_SPECIALTY_BOOST = 8.0  # "gériatrie": the geriatric unit before a DAC tagged gériatrie
TAGGED_SPECIALTY_BOOST = 4.0
PHRASE_BOOST = 2.0  # the query's words together ("ulcère de jambe")
EXPANSION_BOOST = 1.0
#: Words that say who the patient is rather than which recourse is wanted: with other
#: words ("eczéma enfant") they rank, they do not filter (a dermatologist sees children).
QUALIFIER_BOOST = 2.0  # the population named, as a bonus
QUALIFIERS = frozenset(
    {"enfant", "enfants", "nourrisson", "bebe", "personne agee", "personnes agees", "sujet age"}
)
#: Locality, added to the score of a service matching the text: located in a
#: département asked for, then accepting requests from it by name (region-wide: 0).
LOCATED_BONUS = 4.0
LISTED_BONUS = 2.0
TOWN_BONUS = 4.0  # in the very town named ("cardiologue tarbes"), on top of its département


@dataclass(frozen=True)
class Vocabulary:
    """Known phrases, keyed by the stems of their words."""

    concepts: dict[tuple[str, ...], str]  # -> specialty slug
    places: dict[tuple[str, ...], str]  # -> département code
    labels: dict[str, str]  # specialty slug -> label
    spelling: frozenset[str]  # folded words of labels, synonyms and places
    longest: int
    towns: frozenset[tuple[str, ...]] = frozenset()  # place keys that name a town

    @cached_property
    def spelling_sorted(self) -> list[str]:
        """The spelling words in order, as a corrector reads them."""
        return sorted(self.spelling)


def _key(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def build_vocabulary() -> Vocabulary:
    concepts: dict[tuple[str, ...], str] = {}
    labels: dict[str, str] = {}
    spelling: set[str] = set()
    for spec in db.session.scalars(select(Specialite)):
        labels[spec.slug] = spec.libelle
        for phrase in (spec.libelle, spec.slug.replace("-", " "), *spec.synonymes):
            key = _key(phrase)
            if key:
                concepts.setdefault(key, spec.slug)
            spelling.update(words(phrase))
    places: dict[tuple[str, ...], str] = {}
    for dep in db.session.scalars(select(Departement)):
        places[(dep.code,)] = dep.code
        places[_key(dep.nom)] = dep.code
        spelling.update(words(dep.nom))
    departement_keys = set(places)
    with COMMUNES_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            places.setdefault(_key(row["nom"]), row["departement"])
    towns = db.session.execute(
        select(Requis.ville, Requis.departement_code)
        .where(Requis.statut == Statut.PUBLIEE)
        .distinct()
    )
    for ville, code in towns:
        places.setdefault(_key(ville), code)
    places = {k: v for k, v in places.items() if k and k not in concepts}
    longest = max((len(k) for k in (*concepts, *places)), default=1)
    spelling = {w for w in spelling if len(w) >= 3 and w not in STOP_WORDS}
    towns = frozenset(k for k in places if k not in departement_keys)
    return Vocabulary(
        concepts, places, labels, frozenset(spelling), min(longest, MAX_PHRASE), towns
    )


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


@dataclass(frozen=True)
class Place:
    code: str
    words: str  # as typed
    town: str | None = None  # the town's key (analysis.town_key) when it names one


@dataclass
class ParsedQuery:
    raw: str
    terms: list[str] = field(default_factory=list)  # stems of free words
    free_words: list[str] = field(default_factory=list)  # the same words, folded
    concepts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # slug, stems
    places: list[Place] = field(default_factory=list)
    prefix: str | None = None
    concept_words: list[str] = field(default_factory=list)  # each concept's words, folded
    qualifiers: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # ranked only
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> label stems
    # CIM-11 matches over free words: (first word index, word count, match).
    expansions: list[tuple[int, int, clinical.Match]] = field(default_factory=list)
    # CIM-11 matches of concepts ("alzheimer" is also a thématique synonym): index -> match.
    concept_expansions: dict[int, clinical.Match] = field(default_factory=dict)
    without_places: str = ""  # the text as typed, place words removed

    @property
    def has_text(self) -> bool:
        return bool(self.terms or self.concepts or self.prefix)

    @property
    def place_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.code for p in self.places))

    @property
    def normalised(self) -> str:
        """The query as stored for unmet-demand statistics: folded words, no places."""
        return " ".join(self.free_words + [s for s, _ in self.concepts])[:MAX_QUERY_LENGTH]

    def label_key(self, slug: str) -> tuple[str, ...]:
        return self.labels.get(slug, ())

    def all_expansions(self) -> list[clinical.Match]:
        return [m for _, _, m in self.expansions] + list(self.concept_expansions.values())

    def highlight_stems(self, vocab: Vocabulary) -> tuple[frozenset[str], tuple[str, ...]]:
        """Stems to mark in a result: the words, and the labels of concepts and expansions."""
        stems = set(self.terms)
        for slug, key in self.concepts + self.qualifiers:
            stems.update(key)
            stems.update(_key(vocab.labels.get(slug, "")))
        for match in self.all_expansions():
            for slug in match.slugs:
                stems.update(_key(vocab.labels.get(slug, "")))
        stems -= {stem(w) for w in STOP_WORDS}
        return frozenset(stems), ((self.prefix,) if self.prefix else ())


def printable(text: str) -> str:
    """The text without control characters (a NUL byte included), capped in length."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c if c.isprintable() else " " for c in text)[: MAX_QUERY_LENGTH * 2]


def clean(text: str) -> str:
    """Printable, white space collapsed, length capped."""
    return " ".join(printable(text).split())[:MAX_QUERY_LENGTH]


def parse(text: str, vocab: Vocabulary) -> ParsedQuery:
    raw = clean(text)
    parsed = ParsedQuery(raw=raw)
    typed = WORD.findall(raw)[: MAX_TERMS * 3]
    tokens = [fold(t) for t in typed]
    stems = [stem(t) for t in tokens]
    place_tokens: set[int] = set()
    i = 0
    last_free: int | None = None
    while i < len(tokens) and len(parsed.terms) + len(parsed.concepts) < MAX_TERMS:
        for size in range(min(vocab.longest, len(tokens) - i), 0, -1):
            key = tuple(stems[i : i + size])
            if key in vocab.concepts:
                slug = vocab.concepts[key]
                parsed.concepts.append((slug, key))
                parsed.labels[slug] = _key(vocab.labels.get(slug, ""))
                parsed.concept_words.append(" ".join(tokens[i : i + size]))
                i += size
                break
            if key in vocab.places:
                spelled = " ".join(typed[i : i + size])
                town = town_key(spelled) if key in vocab.towns else None
                parsed.places.append(Place(vocab.places[key], spelled, town))
                place_tokens.update(range(i, i + size))
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
    parsed.without_places = " ".join(t for n, t in enumerate(typed) if n not in place_tokens)
    _set_qualifiers_aside(parsed)
    parsed.expansions = clinical.find(parsed.free_words)
    for n, concept_words in enumerate(parsed.concept_words):
        found = clinical.find(concept_words.split())
        slug = parsed.concepts[n][0]
        # Only when it leads further than the concept itself ("alzheimer" → gériatrie too).
        whole = len(found) == 1 and found[0][1] == len(concept_words.split())
        if whole and set(found[0][2].slugs) - {slug}:
            parsed.concept_expansions[n] = found[0][2]
    ends_with_space = text[-1:].isspace()
    if last_free is not None and last_free == len(tokens) - 1 and not ends_with_space:
        expanded = any(start + size == len(parsed.terms) for start, size, _ in parsed.expansions)
        candidate = parsed.terms[-1]
        if len(candidate) >= MIN_PREFIX and not expanded:
            parsed.prefix = parsed.terms.pop()
    return parsed


def _set_qualifiers_aside(parsed: ParsedQuery) -> None:
    """With other words, a population word ranks instead of filtering (see QUALIFIERS)."""
    aside = [n for n, w in enumerate(parsed.concept_words) if w in QUALIFIERS]
    if not aside or len(aside) == len(parsed.concepts) and not parsed.terms:
        return
    parsed.qualifiers = [parsed.concepts[n] for n in aside]
    parsed.concepts = [c for n, c in enumerate(parsed.concepts) if n not in aside]
    parsed.concept_words = [w for n, w in enumerate(parsed.concept_words) if n not in aside]


# --- Whoosh queries ------------------------------------------------------------------------------


def _word(term: str) -> wq.Query:
    return wq.Term(TEXT_FIELD, term)


def concept_words(key: tuple[str, ...], label: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The word groups that stand for a concept in a service's own text: the words typed
    ("cardiologue") and those of the specialty's label ("cardiologie")."""
    groups = []
    for words_ in (key, label):
        meaningful = tuple(k for k in words_ if k not in STOP_WORDS)
        if meaningful and meaningful not in groups:
            groups.append(meaningful)
    return groups


def _concept(slug: str, key: tuple[str, ...], label: tuple[str, ...] = ()) -> wq.Query:
    """A specialty named by one of its labels or synonyms: tagged services, or its words."""
    options: list[wq.Query] = [
        wq.Term("spec", slug, boost=MAIN_SPECIALTY_BOOST),
        wq.Term("specs", slug, boost=TAGGED_SPECIALTY_BOOST),
    ]
    options += [wq.And([_word(k) for k in group]) for group in concept_words(key, label)]
    return wq.Or(options)


def _prefix(prefix: str) -> wq.Query:
    return wq.Prefix(TEXT_FIELD, prefix)


def _specialties(slugs: tuple[str, ...], boost: float) -> wq.Query:
    return wq.Or([wq.Term("specs", s, boost=boost) for s in slugs])


def text_query(parsed: ParsedQuery, departements: tuple[str, ...] = ()) -> wq.Query | None:
    """What matches (direct words, or their CIM-11 expansion), with ranking bonuses.

    The words covered by a CIM-11 concept match either themselves or the
    specialties the concept leads to. Bonuses never change *what* matches:
    the query's words together (phrase), and the specialty the concept names.
    """
    covered: dict[int, tuple[int, clinical.Match]] = {s: (n, m) for s, n, m in parsed.expansions}
    clauses: list[wq.Query] = []
    i = 0
    while i < len(parsed.terms):
        if i in covered:
            size, match = covered[i]
            own = wq.And([_word(t) for t in parsed.terms[i : i + size]])
            clauses.append(wq.Or([own, _specialties(match.slugs, EXPANSION_BOOST)]))
            i += size
        else:
            clauses.append(_word(parsed.terms[i]))
            i += 1
    for n, (slug, key) in enumerate(parsed.concepts):
        match = parsed.concept_expansions.get(n)
        own = _concept(slug, key, parsed.label_key(slug))
        if match is not None:
            own = wq.Or([own, _specialties(match.slugs, EXPANSION_BOOST)])
        clauses.append(own)
    if parsed.prefix:
        clauses.append(_prefix(parsed.prefix))
    if not clauses:
        return None
    matching = wq.And(clauses)
    bonuses: list[wq.Query] = [
        wq.Term("paires", f"{a} {b}", boost=PHRASE_BOOST)
        for a, b in zip(parsed.terms, parsed.terms[1:], strict=False)
    ]
    for slug, key in parsed.qualifiers:
        bonus = _concept(slug, key, parsed.label_key(slug))
        bonus.boost = QUALIFIER_BOOST
        bonuses.append(bonus)
    for match in parsed.all_expansions():
        bonuses.append(_specialties(match.slugs, EXPANSION_BOOST))
    for code in departements:
        bonuses.append(wq.ConstantScoreQuery(wq.Term("situe", code), LOCATED_BONUS))
        bonuses.append(wq.ConstantScoreQuery(wq.Term("accepte", code), LISTED_BONUS))
    for place in parsed.places:
        if place.town:
            bonuses.append(wq.ConstantScoreQuery(wq.Term("ville", place.town), TOWN_BONUS))
    return wq.AndMaybe(matching, wq.Or(bonuses)) if bonuses else matching
