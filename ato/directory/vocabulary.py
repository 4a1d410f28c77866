"""The names people give to reference values, and the code each one stands for.

A spreadsheet says « TéléO », « Cardiologie et maladies vasculaires »,
« Médecin » or « haute garonne » where the directory stores ``teleo``,
``cardiologie``, ``10`` and ``31``. A :class:`Vocabulary` knows, for one
reference list, every code with its label, its other official names (the ANS
nomenclature's long and short labels) and its synonyms (those the search
knows, and ``seed/synonymes.csv``), compared accent-, case- and
punctuation-insensitively (:func:`ato.core.text.fold`). An unknown value gets
one French sentence naming the closest known values by their labels, never by
their codes. :func:`ato.directory.schema.validate` resolves every reference
value of an entry here, whatever door it came through.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from ato.core.text import fold

SEED = Path(__file__).resolve().parents[2] / "seed"
SHOWN_WHEN_FEWER = 16  # a short list is given in full when nothing comes close
SUGGESTIONS = 3
CUTOFF = 0.75  # similarity (difflib ratio) below which a name is not suggested
MARGIN = 0.08  # suggested: the closest name and those at most this much less close


def key(text: str) -> str:
    """The form in which names are compared: folded, punctuation as spaces.

    ``Haute-Garonne``, ``haute garonne`` and ``HAUTE  GARONNE`` are one key, and
    so are ``tél.`` and ``tel``.
    """
    return " ".join(re.sub(r"[^0-9a-z+]+", " ", fold(text)).split())


class UnknownValue(ValueError):
    """A value that names nothing in a reference list; its message is the French sentence."""


@dataclass
class Vocabulary:
    """One reference list: its codes, their labels, and every name that leads to them.

    ``what`` completes « « X » n'est pas … » (``une spécialité connue``).
    Official names (code, label, nomenclature labels) come before synonyms: a
    synonym never takes a name that is another value's label.
    """

    what: str
    labels: dict[str, str] = field(default_factory=dict)  # code -> label shown to people
    names: dict[str, str] = field(default_factory=dict)  # key -> code
    synonyms: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, code: str, label: str, *names: str, synonyms: Iterable[str] = ()) -> None:
        self.labels[code] = label
        for name in (code, label, *names):
            if name and key(name):
                self.names.setdefault(key(name), code)
        for name in synonyms:
            if name and key(name):
                self.synonyms[key(name)].add(code)

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def candidates(self, value: str) -> set[str]:
        """Every code ``value`` may name (empty when none, several for a shared synonym)."""
        k = key(value)
        if k in self.names:
            return {self.names[k]}
        return set(self.synonyms.get(k, ()))

    def code(
        self, value: str, accepted: Callable[[str], bool] | None = None, what: str | None = None
    ) -> str:
        """The code ``value`` names, or :class:`UnknownValue` with the closest labels.

        ``accepted`` narrows a shared synonym and the suggestions to the codes this
        field takes; ``what`` words the sentence for that narrower list.
        """
        found = self.candidates(value)
        if accepted is not None:
            found = {c for c in found if accepted(c)} or found
        if len(found) == 1:
            return next(iter(found))
        if len(found) > 1:
            choices = " ou ".join(sorted(self.label(c) for c in found))
            raise UnknownValue(f"« {value.strip()} » peut désigner {choices} : précisez.")
        raise UnknownValue(self.unknown(value, accepted, what))

    def unknown(
        self, value: str, accepted: Callable[[str], bool] | None = None, what: str | None = None
    ) -> str:
        """« X » n'est pas …. Vouliez-vous dire : A, B ou C ?"""
        sentence = f"« {value.strip()} » n'est pas {what or self.what}."
        suggested = self.suggestions(value, accepted)
        if suggested:
            return f"{sentence} Vouliez-vous dire : {_or(suggested)} ?"
        codes = [c for c in self.labels if accepted is None or accepted(c)]
        if len(codes) < SHOWN_WHEN_FEWER:
            return f"{sentence} Valeurs acceptées : {', '.join(self.label(c) for c in codes)}."
        return sentence

    def suggestions(self, value: str, accepted: Callable[[str], bool] | None = None) -> list[str]:
        """The labels of the values whose names are closest to ``value`` (spelling)."""
        everything: dict[str, set[str]] = defaultdict(set)
        for name, code in self.names.items():
            everything[name].add(code)
        for name, codes in self.synonyms.items():
            everything[name].update(codes)
        k = key(value)
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(k)
        scored = []
        for name in everything:
            matcher.set_seq1(name)
            if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
                ratio = matcher.ratio()
                if ratio >= CUTOFF:
                    scored.append((-ratio, name))
        scored.sort()
        # only the best and those nearly as close: "Cardiolgie" is Cardiologie, not Radiologie
        close = [name for ratio, name in scored if -ratio >= -scored[0][0] - MARGIN]
        # a name that starts with what was typed ("cardio vasc…") is close too
        close += [n for n in sorted(everything) if len(k) >= 4 and n.startswith(k)]
        labels: list[str] = []
        for name in close:
            for code in sorted(everything[name]):
                label = self.label(code)
                if (accepted is None or accepted(code)) and label not in labels:
                    labels.append(label)
        return labels[:SUGGESTIONS]


def _or(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " ou " + labels[-1]


# --- the lists ------------------------------------------------------------------------------------


@cache
def synonyms() -> dict[tuple[str, str], tuple[str, ...]]:
    """``seed/synonymes.csv``: the other names of tools, professions, natures, publics, titles."""
    with (SEED / "synonymes.csv").open(encoding="utf-8") as handle:
        return {
            (row["liste"], row["code"]): tuple(s for s in row["synonymes"].split("|") if s)
            for row in csv.DictReader(handle)
        }


@cache
def nomenclature_labels() -> dict[str, tuple[str, ...]]:
    """The ANS TRE_R38 long and short labels of each specialty code.

    ``Cardiologie et Maladies vasculaires (SM)`` is also known without its
    family suffix.
    """
    with (SEED / "tre_r38_specialite_ordinale.csv").open(encoding="utf-8") as handle:
        return {
            row["code"]: (
                row["libelle"],
                re.sub(r"\s*\([A-Z]+\)$", "", row["libelle"]),
                row["libelle_court"],
            )
            for row in csv.DictReader(handle)
        }


def _listed(liste: str, code: str) -> tuple[str, ...]:
    return synonyms().get((liste, code), ())


def specialties(rows: Iterable[object]) -> Vocabulary:
    """Specialties and thématiques: slug, label, TRE_R38 code and labels, search synonyms."""
    vocabulary = Vocabulary("une spécialité ou une thématique connue")
    labels = nomenclature_labels()
    for s in rows:
        code_r38 = getattr(s, "code_r38", None) or ""
        vocabulary.add(
            s.slug,
            s.libelle,
            s.slug.replace("-", " "),
            code_r38,
            *labels.get(code_r38, ()),
            synonyms=getattr(s, "synonymes", None) or (),
        )
    return vocabulary


def tools(rows: Iterable[object]) -> Vocabulary:
    vocabulary = Vocabulary("un outil connu")
    for o in rows:
        # « Messagerie sécurisée de santé (MSSanté) » is also « MSSanté »
        short = re.findall(r"\(([^)]+)\)", o.nom)
        vocabulary.add(o.slug, o.nom, *short, synonyms=_listed("outil", o.slug))
    return vocabulary


def departements(rows: Iterable[object]) -> Vocabulary:
    vocabulary = Vocabulary("un département d'Occitanie")
    for d in rows:
        vocabulary.add(d.code, f"{d.nom} ({d.code})", d.nom, d.code.lstrip("0"))
    return vocabulary


def professions(labels: dict[str, str]) -> Vocabulary:
    vocabulary = Vocabulary("une profession connue")
    for code, label in labels.items():
        vocabulary.add(code, label, synonyms=_listed("profession", code))
    return vocabulary


def listed(what: str, liste: str, labels: dict[str, str]) -> Vocabulary:
    """A short fixed list (nature, public, civilité) with its synonyms."""
    vocabulary = Vocabulary(what)
    for code, label in labels.items():
        vocabulary.add(code, label, synonyms=_listed(liste, code))
    return vocabulary


BOOLEANS = {
    **dict.fromkeys(("oui", "o", "x", "1", "vrai", "v", "true", "yes", "y", "on"), True),
    **dict.fromkeys(("non", "n", "0", "faux", "f", "false", "no", "off"), False),
}


def boolean(value: object) -> bool:
    """A spreadsheet's yes or no (``oui``, ``x``, ``1``, ``vrai``… ; empty is no)."""
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if not key(str(value)):
        return False
    answer = BOOLEANS.get(key(str(value)))
    if answer is None:
        raise UnknownValue(f"« {str(value).strip()} » : indiquez oui ou non.")
    return answer
