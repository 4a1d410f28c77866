"""Clinical vocabulary: the WHO's ICD-11 in French (CIM-11), offline.

The package ``cim-11-certic`` ships the CIM-11 (about 36,000 concepts with their
hierarchy, WHO data of March 2024, CeCILL-C code). ``seed/cim11_specialites.csv``
maps chapters and blocks to ATO specialties and thématiques, each line with its
source. A query word or phrase that names a concept ("alzheimer", "fibrillation
auriculaire") leads to the specialties of the concept's deepest mapped ancestor.
``seed/cim11_abreviations.csv`` spells out the abbreviations clinicians type
("HTA", "DMLA"), which the CIM-11 titles do not carry.

The concepts under a mapped chapter or block are stemmed once (1.2 to 1.6 s on the
reference machine) and kept in a JSON cache (``ATO_CACHE_DIR``, by default
``~/.cache/ato``) named by a digest of everything they are made from: the package
version, the two seed files and the analysis code. Every later process — each gunicorn
worker, each test worker — reads the cache (about 0.3 s) instead; a changed input gives
a new name, so a stale cache is never read. No cache (read-only home) only costs the
build again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ato.search import analysis
from ato.search.analysis import STOP_WORDS, stem, words

log = logging.getLogger(__name__)

SEED = Path(__file__).resolve().parents[2] / "seed"
MAPPING_FILE = SEED / "cim11_specialites.csv"
ABBREVIATIONS_FILE = SEED / "cim11_abreviations.csv"
MAX_SPAN = 4  # words of a query tried together as one concept
#: Title words a query may leave out without changing the concept ("maladie d'Alzheimer").
GENERIC_WORDS = (
    "maladie maladies syndrome syndromes trouble troubles affection affections atteinte "
    "due du forme type autre autres precise precisee non classe ailleurs sai"
)
ATTRIBUTION = (
    "Termes médicaux : CIM-11, Classification internationale des maladies, 11e révision, "
    "en français — © Organisation mondiale de la Santé, données de mars 2024, sous licence "
    "CC BY-ND 3.0 IGO (https://creativecommons.org/licenses/by-nd/3.0/igo/). Intégrée via "
    "le logiciel « cim-11-CERTIC » (CERTIC, Université de Caen Normandie, licence CeCILL-C). "
    "ATO n'est pas affilié à l'OMS et n'est pas approuvé par elle ; la correspondance entre "
    "la CIM-11 et les spécialités est établie par ATO."
)
SHORT_ATTRIBUTION = (
    "Termes médicaux : CIM-11 © Organisation mondiale de la Santé (mars 2024), "
    "licence CC BY-ND 3.0 IGO ; correspondance avec les spécialités établie par ATO."
)


@dataclass(frozen=True)
class Match:
    code: str  # CIM-11 code of the concept (or of its nearest coded ancestor)
    title: str
    slugs: tuple[str, ...]  # ATO specialties and thématiques, most specific first


@dataclass
class _Concept:
    code: str
    title: str
    stems: frozenset[str]
    slugs: tuple[str, ...]


class _Vocabulary:
    def __init__(self, concepts: list[_Concept], abbreviations: dict[str, list[str]]) -> None:
        self.concepts = concepts
        self.by_stem: dict[str, list[int]] = defaultdict(list)
        for n, concept in enumerate(concepts):
            for s in concept.stems:
                self.by_stem[s].append(n)
        self.abbreviations = abbreviations  # folded abbreviation -> folded words
        folded = {w for c in concepts for w in words(c.title)} | set(abbreviations)
        self.spelling = sorted(w for w in folded if len(w) >= 4 and w not in STOP_WORDS)
        self.spelled = frozenset(folded)

    def best(self, stems: list[str]) -> _Concept | None:
        """The concept the stems name, or None when they only occur in longer titles.

        Every stem must be in the title, and the title may hold no other word
        but generic ones ("maladie", "syndrome"…) — one more when the query has
        several words ("ulcère de jambe" → "Ulcère de jambe veineux"). So
        "douleur" alone does not become "Douleur vulvaire".
        """
        if set(stems) <= _GENERIC:  # "troubles" alone names no concept
            return None
        candidates: set[int] | None = None
        for s in stems:
            found = set(self.by_stem.get(s, ()))
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return None
        wanted = set(stems)
        allowed = 1 if len(wanted) >= 2 else 0

        def extra(n: int) -> int:
            return len(self.concepts[n].stems - wanted - _GENERIC)

        ranked = sorted(
            candidates or (),
            key=lambda n: (extra(n), len(self.concepts[n].stems), len(self.concepts[n].title)),
        )
        if ranked and extra(ranked[0]) <= allowed:
            return self.concepts[ranked[0]]
        return None


_GENERIC = frozenset(stem(w) for w in GENERIC_WORDS.split())


def _stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if w not in STOP_WORDS and len(w) >= 2]


CACHE_FORMAT = "1"


def _cache_file() -> Path:
    from importlib.metadata import version

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    digest.update(version("cim-11-certic").encode())
    for path in (MAPPING_FILE, ABBREVIATIONS_FILE, Path(__file__), Path(analysis.__file__)):
        digest.update(path.read_bytes() if path.exists() else b"-")
    base = os.environ.get("ATO_CACHE_DIR") or Path.home() / ".cache" / "ato"
    return Path(base) / f"cim11-{digest.hexdigest()[:20]}.json"


def _load() -> _Vocabulary:
    try:
        cache = _cache_file()
        data = json.loads(cache.read_text(encoding="utf-8"))
        concepts = [_Concept(c, t, frozenset(s), tuple(g)) for c, t, s, g in data["concepts"]]
        return _Vocabulary(concepts, data["abbreviations"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache yet, or unreadable: build it
    vocabulary = _build()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "concepts": [
                [c.code, c.title, sorted(c.stems), list(c.slugs)] for c in vocabulary.concepts
            ],
            "abbreviations": vocabulary.abbreviations,
        }
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=cache.parent, delete=False, suffix=".tmp"
        ) as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(handle.name, cache)  # atomic: a reader never sees half a file
    except OSError as exc:
        log.info("Cache CIM-11 non écrit (%s) : il sera recalculé au prochain démarrage", exc)
    return vocabulary


def _build() -> _Vocabulary:
    import cim_11  # the package's own SQLite file, read only

    mapping: dict[str, tuple[str, ...]] = {}
    with MAPPING_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            mapping[row["cim11"].strip()] = tuple(
                s.strip() for s in row["specialites"].split("|") if s.strip()
            )
    connection = sqlite3.connect(f"file:{cim_11._DB_FILE}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT idc_id, icode, label, parent_idc_id FROM cim11"
        ).fetchall()
    finally:
        connection.close()
    by_id = {r[0]: r for r in rows}

    def key_of(row: tuple) -> list[str]:
        entity = row[0].rsplit("/", 1)[-1]
        return [k for k in (row[1], entity, row[0]) if k]

    concepts: list[_Concept] = []
    for row in rows:
        slugs: tuple[str, ...] = ()
        code = row[1]
        node = row
        while node is not None and not slugs:  # the deepest mapped ancestor decides
            for key in key_of(node):
                if key in mapping:
                    slugs = mapping[key]
                    break
            code = code or node[1]
            node = by_id.get(node[3]) if node[3] else None
        stems = frozenset(_stems(row[2]))
        if slugs and stems and code:
            concepts.append(_Concept(code, row[2], stems, slugs))
    abbreviations: dict[str, list[str]] = {}
    if ABBREVIATIONS_FILE.exists():
        with ABBREVIATIONS_FILE.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                abbreviations[" ".join(words(row["abreviation"]))] = words(row["developpe"])
    return _Vocabulary(concepts, abbreviations)


_vocabulary: _Vocabulary | None = None
_lock = threading.Lock()


def vocabulary() -> _Vocabulary:
    global _vocabulary
    if _vocabulary is None:
        with _lock:
            if _vocabulary is None:
                _vocabulary = _load()
    return _vocabulary


def find(free_words: list[str]) -> list[tuple[int, int, Match]]:
    """CIM-11 concepts named by the query's free words: (first index, word count, match).

    Longest spans first, each word in at most one concept; an abbreviation
    ("bpco") stands for its spelled-out words.
    """
    try:
        vocab = vocabulary()
    except Exception:  # a missing or damaged package must never break a search
        log.exception("Vocabulaire CIM-11 indisponible")
        return []
    found: list[tuple[int, int, Match]] = []
    i = 0
    while i < len(free_words):
        for size in range(min(MAX_SPAN, len(free_words) - i), 0, -1):
            typed = free_words[i : i + size]
            spelled = [w for word in typed for w in vocab.abbreviations.get(word, [word])]
            # The words as typed first: "mélanome de l'iris" is not the skin's melanoma.
            concept = vocab.best(_stems(" ".join(typed))) or (
                vocab.best(_stems(" ".join(spelled))) if spelled != typed else None
            )
            if concept is not None:
                found.append((i, size, Match(concept.code, concept.title, concept.slugs)))
                i += size
                break
        else:
            i += 1
    return found


def spelling_words() -> list[str]:
    """Sorted folded words of the CIM-11 titles and abbreviations (for suggestions)."""
    try:
        return vocabulary().spelling
    except Exception:  # noqa: BLE001 - suggestions are optional
        return []


def is_spelled_word(word: str) -> bool:
    """Whether a folded word is written so in a CIM-11 title or is a known abbreviation.

    Spelling, not stems: "insufisance" shares a stem with a typo of the WHO data
    ("Production insufisante de larmes") and must still get a suggestion.
    """
    try:
        vocab = vocabulary()
    except Exception:  # noqa: BLE001
        return False
    return word in vocab.abbreviations or word in vocab.spelled
