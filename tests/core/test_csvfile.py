"""The one CSV module: lenient reading, safe writing."""

import csv
import io

import pytest

from ato.core import csvfile


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("nom;ville\nA;Albi\n", ";"),
        ("nom,ville\nA,Albi\n", ","),
        ("nom\tville\nA\tAlbi\n", "\t"),
        ('nom;description\nA;"un, deux, trois"\n', ";"),  # commas inside a quoted cell
        ("nom\nA\n", ";"),  # one column: the French spreadsheet's separator
    ],
)
def test_the_delimiter_is_found(text, delimiter):
    assert csvfile.sniff_delimiter(text) == delimiter


def test_records_carry_the_line_a_spreadsheet_shows():
    header, records = csvfile.read('nom;note\nA;"deux\nlignes"\nB;x\n')
    assert header == ["nom", "note"]
    assert [(r.number, r.cells[0]) for r in records] == [(2, "A"), (4, "B")]


def test_windows_files_are_decoded_and_utf8_only_refuses_them():
    data = "nom;ville\nCœur;Béziers\n".encode("cp1252")
    assert "Béziers" in csvfile.decode(data)
    with pytest.raises(csvfile.CsvError, match="UTF-8"):
        csvfile.decode(data, utf8_only=True)


def test_an_empty_file_is_said_so():
    with pytest.raises(csvfile.CsvError, match="vide"):
        csvfile.read("")


@pytest.mark.parametrize("value", ["=1+1", "+33 6", "-moins", "@SUM(A1)", "\tx", "\rx"])
def test_written_cells_never_run_as_formulas_and_read_back_as_typed(value):
    text = csvfile.write(["valeur"], [[value]])
    assert text.startswith("\ufeff")
    (row,) = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1:]
    assert row[0] == "'" + value
    assert csvfile.unescape(row[0]) == value


def test_numbers_and_booleans_are_written_as_values():
    from decimal import Decimal

    text = csvfile.write(["a", "b", "c", "d"], [[-5, Decimal("12.50"), True, None]])
    assert text.splitlines()[1] == "-5,12.5,oui,"
