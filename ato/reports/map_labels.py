"""Where the map writes each département's code: computed once, stored beside the outlines.

The label point of a département is the centroid of the largest ring of its
outline (the mainland, not an enclave). Computing it means parsing SVG path
data, which has no place on a request: this module does it when the outlines
change and writes ``seed/occitanie_departements_etiquettes.json``, which
:func:`ato.reports.svg.geometry` reads. Run it after replacing the outlines::

    python -m ato.reports.map_labels

A test recomputes the points and fails while the file is out of date.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ato.reports.svg import LABELS_FILE, MAP_FILE, outlines

README = (
    "Point où la carte écrit le code de chaque département (centre de gravité de la plus "
    "grande partie de son contour), dans le repère de occitanie_departements.svg. Fichier "
    "généré par « python -m ato.reports.map_labels » : ne pas le modifier à la main."
)


def rings(d: str) -> list[list[tuple[float, float]]]:
    """Polygons of a path made of ``m``/``l``/``z`` commands (relative or absolute)."""
    tokens = re.findall(r"[mMlLzZ]|-?\d+(?:\.\d+)?(?:e-?\d+)?", d)
    result: list[list[tuple[float, float]]] = []
    x = y = 0.0
    command = "m"
    numbers: list[float] = []
    for token in tokens:
        if token.isalpha():
            command = token
            if command in "zZ" and result:
                x, y = result[-1][0]
            continue
        numbers.append(float(token))
        if len(numbers) < 2:
            continue
        dx, dy = numbers
        numbers = []
        if command in "mM":
            x, y = (x + dx, y + dy) if command == "m" else (dx, dy)
            result.append([(x, y)])
            command = "l" if command == "m" else "L"  # implicit lineto after a moveto
        else:
            x, y = (x + dx, y + dy) if command == "l" else (dx, dy)
            result[-1].append((x, y))
    return result


def label_point(d: str) -> tuple[float, float]:
    """Centroid of the largest ring (the mainland, not an enclave), to 2 decimals."""
    best = (0.0, 0.0, 0.0)
    for ring in rings(d):
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if abs(area) > abs(best[0]):
            best = (area, cx / (3 * area), cy / (3 * area))
    return round(best[1], 2), round(best[2], 2)


def compute(path: Path = MAP_FILE) -> dict[str, Any]:
    """The labels file's content: a point per département, in code order."""
    _, paths = outlines(path)
    points = {code: list(label_point(d)) for code, d in sorted(paths.items())}
    return {"_lisez_moi": README, "etiquettes": points}


def render(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    content = compute()
    LABELS_FILE.write_text(render(content), encoding="utf-8")
    print(f"{LABELS_FILE.name} : {len(content['etiquettes'])} départements")  # noqa: T201


if __name__ == "__main__":
    main()
