"""Cells that are safe to write and to open: every XLSX and CSV the platform hands out
(exports, import templates) writes its values through here.

Text that people typed reaches staff's spreadsheets, so two things are done to it:

- Formula injection (OWASP "CSV injection"). Excel and LibreOffice run a cell that starts
  with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula: a member named
  `=HYPERLINK(…)` would run on the county admin's PC. In an .xlsx such text is written as
  a string cell marked as quoted text (Excel's quote prefix: shown as typed, and still
  text if someone edits the cell); so is text that openpyxl would read as an error value
  (`#N/A`). In a CSV, which has no cell types, it is prefixed with an apostrophe, which
  spreadsheet programs read as "this is text".
- Characters an .xlsx cannot hold (the C0 controls but tab, line feed and carriage
  return: openpyxl refuses them) are dropped, so that a row stored before the inputs
  refused them never breaks an export.
"""

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """`value` without the characters a spreadsheet cell cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet program would take `text` for something other than text."""
    return text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES


def xlsx_value(ws, value):
    """What to append to `ws` (a worksheet, write-only or not) for `value`: text cleaned,
    text that would read as a formula as a quoted string cell, any other value as it is."""
    if not isinstance(value, str):
        return value
    text = cell_text(value)
    if not reads_as_formula(text):
        return text
    cell: Cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl typed it as a formula ("f") or an error ("e")
    cell.quotePrefix = True
    return cell


def xlsx_cell(ws, value) -> Cell:
    """`xlsx_value` as a cell, always (for a cell to style, such as a header)."""
    found = xlsx_value(ws, value)
    return found if isinstance(found, Cell) else WriteOnlyCell(ws, value=found)


def xlsx_row(ws, values) -> list:
    """A row for `ws.append`, each value through `xlsx_value`."""
    return [xlsx_value(ws, value) for value in values]


def csv_value(value):
    """A value for a CSV row: text cleaned, and prefixed with an apostrophe when it would
    read as a formula."""
    if not isinstance(value, str):
        return value
    text = cell_text(value)
    return "'" + text if reads_as_formula(text) else text


def csv_row(values) -> list:
    """A row for `csv.writer(...).writerow`, each value through `csv_value`."""
    return [csv_value(value) for value in values]
