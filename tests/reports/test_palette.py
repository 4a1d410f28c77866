"""The map's shades: two neighbouring classes differ by at least 3:1 in contrast (RGAA 3.3)."""

import re
from pathlib import Path

import pytest

from ato.reports import svg

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "ato.css").read_text("utf-8")


def palette() -> dict[int, str]:
    return {
        int(n): colour
        for n, colour in re.findall(r"\.teinte-(\d+) \{ fill: (#[0-9a-f]{6}); \}", CSS)
    }


def luminance(colour: str) -> float:
    """Relative luminance, as WCAG defines it."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_stylesheet_has_one_shade_per_class():
    assert sorted(palette()) == list(range(svg.MAX_CLASSES))


@pytest.mark.parametrize("count", range(1, svg.MAX_CLASSES + 1))
def test_neighbouring_classes_differ_by_3_to_1_at_least(count):
    shades = palette()
    classes = [svg.Classe(i, str(i), None, None) for i in range(count)]
    used = [shades[svg.teinte(c, count)] for c in classes]
    for lower, upper in zip(used, used[1:], strict=False):
        assert contrast(lower, upper) >= 3, (lower, upper)


def test_every_class_count_the_maps_make_fits_the_palette():
    for top in (0, 1, 2, 5, 13, 250):
        assert len(svg.classes_for_counts([top])) <= svg.MAX_CLASSES


def test_the_source_legends_have_no_more_classes_than_shades():
    import json

    seed = json.loads((svg.SEED_DIR / "rapports.json").read_text("utf-8"))
    legends = re.findall(r"'legende': (\[.*?\])", repr(seed))
    assert legends
    for legend in legends:
        assert legend.count("'libelle'") <= svg.MAX_CLASSES
