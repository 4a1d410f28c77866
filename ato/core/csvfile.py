"""CSV files as staff exchange them with spreadsheets: read leniently, written safely.

Reading: UTF-8 (with or without the BOM Excel adds) or, failing that,
Windows-1252 as older Excel writes it; the delimiter is guessed by
:class:`csv.Sniffer` among ``;``, ``,`` and tab; every record carries the line
number a spreadsheet shows (the header is line 1; a quoted cell may span lines).

Writing: UTF-8 with a BOM, CRLF lines, and no cell that a spreadsheet would
run as a formula (a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from werkzeug.wrappers import Response

DELIMITERS = ";,\t"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class CsvError(ValueError):
    """The file cannot be read as CSV; the message (French) says why."""


@dataclass(frozen=True)
class Record:
    number: int  # the spreadsheet line where the record starts
    cells: list[str]


def decode(data: bytes, *, utf8_only: bool = False) -> str:
    """The file's text: UTF-8 (BOM or not), else Windows-1252 unless ``utf8_only``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if utf8_only:
            raise CsvError(
                "Le fichier n'est pas encodé en UTF-8 : dans votre tableur, enregistrez-le au "
                "format « CSV UTF-8 »."
            ) from None
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise CsvError("Le fichier contient des caractères nuls : ce n'est pas un CSV.")
    return text


def sniff_delimiter(text: str) -> str:
    """``;``, ``,`` or tab, as :class:`csv.Sniffer` reads the first lines; ``;`` if unsure.

    A French spreadsheet writes ``;`` (the comma is the decimal separator), so
    it wins when the sample is ambiguous (a one-column file, a header only).
    """
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return "," if first.count(",") > first.count(";") else ";"


def read(text: str) -> tuple[list[str], Iterator[Record]]:
    """The header's cells and an iterator over the following records.

    Raises :class:`CsvError` for an empty file; the iterator raises it for a
    record the csv module cannot parse (an unclosed quote at the end).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("Le fichier est vide.") from None
    except csv.Error as exc:
        raise CsvError(f"Fichier CSV illisible : {exc}.") from None

    def records() -> Iterator[Record]:
        start = reader.line_num + 1
        try:
            for row in reader:
                number, start = start, reader.line_num + 1
                yield Record(number, row)
        except csv.Error as exc:
            raise CsvError(f"Ligne {reader.line_num} illisible : {exc}.") from None

    return header, records()


def cell(value: Any, *, formula_safe: bool = True) -> str:
    """One value as a CSV cell: numbers as numbers, ``oui``/``non``, text made formula-safe
    (unless ``formula_safe`` is off: files for programs carry the exact values)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        text = format(Decimal(str(value)).normalize(), "f")
        return "0" if text in ("-0", "") else text
    text = str(value)
    return "'" + text if formula_safe and text.startswith(FORMULA_PREFIXES) else text


def unescape(value: str) -> str:
    """A cell as typed: the quote :func:`cell` put before a formula-like text goes."""
    value = value.strip()
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def write(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, for_spreadsheets: bool = True
) -> str:
    """CSV text with CRLF lines. For spreadsheets (staff downloads): a BOM, so that they read
    UTF-8, and formula-safe cells. Otherwise (open data read by programs): no BOM and the
    exact values."""
    buffer = io.StringIO()
    if for_spreadsheets:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(c, formula_safe=for_spreadsheets) for c in header])
    for row in rows:
        writer.writerow([cell(v, formula_safe=for_spreadsheets) for v in row])
    return buffer.getvalue()


def response(text: str, filename: str) -> Response:
    """A CSV download."""
    result = current_app.response_class(text, content_type="text/csv; charset=utf-8")
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return result
