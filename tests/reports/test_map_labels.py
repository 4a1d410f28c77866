"""The map's label points: precomputed from the outlines, inside them, and up to date."""

from ato.reports import map_labels, svg


def test_every_label_point_lies_inside_the_outline_of_its_departement():
    for shape in svg.geometry().shapes:
        ring = max(map_labels.rings(shape.d), key=len)
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        assert min(xs) < shape.label_x < max(xs) and min(ys) < shape.label_y < max(ys)


def test_the_labels_file_is_what_the_script_computes_from_the_outlines():
    expected = map_labels.render(map_labels.compute())
    assert svg.LABELS_FILE.read_text(encoding="utf-8") == expected, (
        "Run: python -m ato.reports.map_labels"
    )


def test_the_map_has_a_label_for_each_of_its_13_departements():
    assert [s.code for s in svg.geometry().shapes] == sorted(map_labels.compute()["etiquettes"])
    assert len(svg.geometry().shapes) == 13
