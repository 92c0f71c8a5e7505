"""What an import file holds and how it is read: the columns, the rows of an .xlsx or
.csv file (whatever its encoding), and the row errors reported in Chinese."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import File as DjangoFile
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError

MEMBER_COLUMNS: list[tuple[str, str]] = [
    ("name", "姓名"),
    ("id_number", "身份证号"),
    ("gender", "性别"),
    ("birth_date", "出生日期"),
    ("phone", "手机号"),
    ("branch", "所在党支部"),
    ("join_date", "入党日期"),
    ("full_date", "转正日期"),
    ("status", "党员类型"),
    ("is_flowing", "是否流动党员"),
    ("flowing_location", "流动去向"),
]
ORG_COLUMNS: list[tuple[str, str]] = [
    ("code", "组织编码"),
    ("name", "组织名称"),
    ("parent", "上级组织编码"),
    ("kind", "组织类别"),
    ("sector", "所属领域"),
    ("category", "分类"),
]
# Gender and birth date can be read from the ID number; the full date and the flowing
# location are required only by some statuses, which the row rules check.
MEMBER_REQUIRED = ("name", "id_number", "phone", "branch", "join_date", "status")
ORG_REQUIRED = ("code", "name", "kind", "sector")
MEMBER_HEADERS = dict(MEMBER_COLUMNS)
ORG_HEADERS = dict(ORG_COLUMNS)
# The export's column: masked numbers cannot identify anyone, so an export is not an import.
MASKED_ID_HEADER = "身份证号（脱敏）"

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

LOOKUP_CHUNK = 1000
# Rows checked at a time by an import run as a job, each batch a step of the job: a
# multiple of LOOKUP_CHUNK, so that the lookups are the same queries as for the whole file.
CHECK_BATCH = 5 * LOOKUP_CHUNK
MAX_REPORTED_ERRORS = 1000
# Magic numbers of files people pick by mistake; anything else is tried as CSV text.
BINARY_MAGIC = (
    b"\xd0\xcf\x11\xe0",  # OLE2: .xls, .doc
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
)


class Errors:
    """Row errors, kept in row order. Only the first MAX_REPORTED_ERRORS are kept for the
    report, but all are counted, so a wholly wrong file of 200,000 rows stays cheap."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, str, str]] = []
        self.count = 0

    def add(self, row: int, column: str, message: str, code: str = "") -> None:
        """`code`, when given, is the stable code a single write would raise for the same
        refusal (such as phone_in_use); the report carries it with the row."""
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append((row, column, str(message), code))

    def __bool__(self) -> bool:
        return self.count > 0


def raise_invalid(*groups: Errors) -> None:
    count = sum(g.count for g in groups)
    if not count:
        return
    items = sorted((e for g in groups for e in g.items), key=lambda e: e[0])
    items = items[:MAX_REPORTED_ERRORS]
    row, column, message, _code = items[0]
    if row > 0:
        where = _("第%(row)d行“%(column)s”：%(message)s") % {
            "row": row,
            "column": column,
            "message": message,
        }
    else:
        where = message
    summary = _("文件中有%(count)d处错误，未导入任何数据。") % {"count": count}
    raise DomainError(
        "import_invalid",
        f"{summary}{where}",
        errors=[
            {"row": r, "column": c, "message": m, **({"code": code} if code else {})}
            for r, c, m, code in items
        ],
        error_count=count,
    )


def invalid(message: str, column: str = "", row: int = 1) -> DomainError:
    return DomainError(
        "import_invalid", message, errors=[{"row": row, "column": column, "message": message}]
    )


def _unsupported(message: str | None = None) -> DomainError:
    return DomainError(
        "unsupported_file", message or _("只能导入 .xlsx 或 .csv 文件，请使用下载的模板。")
    )


def _binary(file):
    """A seekable binary file object: Django's upload wrappers are unwrapped, anything
    that cannot seek is read into memory (bounded by the size limit)."""
    if isinstance(file, DjangoFile):
        file.seek(0)
        file = file.file
    if isinstance(file, bytes | bytearray):
        return io.BytesIO(file)
    seekable = getattr(file, "seekable", None)
    if seekable is None or not seekable():
        data = file.read(settings.IMPORT_MAX_BYTES + 1)
        file = io.BytesIO(data)
    file.seek(0)
    return file


def _check_size(file) -> None:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    if size > settings.IMPORT_MAX_BYTES:
        raise DomainError(
            "file_too_large",
            _("文件过大：不能超过%(mb)d MB。") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
        )
    if size == 0:
        raise invalid(_("文件是空的。"))


def _sniff(file) -> str:
    head = file.read(4096)
    file.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unsupported(_("这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 .csv 后再导入。"))
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        raise _unsupported()
    return "csv"


def _csv_encoding(file) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, otherwise GB18030
    (a superset of GBK, which Excel in China uses for "CSV"). Checked in chunks so a large
    file is never held in memory as text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := file.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "gb18030"
    file.seek(0)
    return encoding


def _csv_rows(text) -> Iterator[list]:
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError as exc:
        raise _unsupported(_("无法识别文件的编码，请把 CSV 保存为 UTF-8 或 GBK 编码。")) from exc
    except csv.Error as exc:
        raise _unsupported(_("CSV 文件格式有误，请用 Excel 另存为 .xlsx 后再导入。")) from exc


@contextmanager
def _first_sheet(file):
    """The XLSX file's first worksheet, read only; the workbook is closed after."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable archive is "not an xlsx"
        raise _unsupported() from exc
    try:
        yield wb.worksheets[0]
    finally:
        wb.close()


@contextmanager
def _open_table(file):
    """Yield an iterator of (spreadsheet row number, cell values), header included."""
    file = _binary(file)
    _check_size(file)
    if _sniff(file) == "xlsx":
        with _first_sheet(file) as ws:
            # Some writers record a wrong sheet size; read the rows that are really there.
            ws.reset_dimensions()
            yield enumerate(ws.iter_rows(values_only=True), start=1)
    else:
        text = io.TextIOWrapper(file, encoding=_csv_encoding(file), newline="")
        try:
            yield enumerate(_csv_rows(text), start=1)
        finally:
            # Leave the caller's file open: TextIOWrapper would close it when collected.
            text.detach()


# A row element of SpreadsheetML, whatever its namespace prefix.
_XLSX_ROW_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
SCAN_CHUNK = 1 << 20


def rows_at_most(file) -> int:
    """How many data rows the file can hold at most, read without parsing a cell (a job's
    total: reading a city's XLSX twice would cost a minute): the sheet's row elements, or
    the CSV's lines, less the header. Blank rows are counted, so the rows read never pass
    it. Raises as `records` does for a file that is not a table."""
    file = _binary(file)
    _check_size(file)
    count = 0
    if _sniff(file) == "xlsx":
        with _first_sheet(file) as ws, ws._get_source() as xml:
            tail = b""
            while chunk := xml.read(SCAN_CHUNK):
                data = tail + chunk
                count += len(_XLSX_ROW_RE.findall(data))
                # A tag cut by the chunk's end is counted with the next chunk.
                cut = data.rfind(b"<")
                tail = data[cut:] if cut >= 0 and len(data) - cut < 16 else b""
                if tail:
                    count -= len(_XLSX_ROW_RE.findall(tail))
    else:
        last = b"\n"
        while chunk := file.read(SCAN_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
        count += last != b"\n"  # a last line without its line feed
    file.seek(0)
    return max(count - 1, 0)


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_key(value) -> str:
    return str(value).strip().strip("*").strip() if value is not None else ""


def _column_map(header, columns, required, errors: Errors) -> dict[str, int]:
    by_name = {}
    for field, title in columns:
        by_name[title] = field
        by_name[field] = field
    found: dict[str, int] = {}
    seen_masked = False
    for index, cell in enumerate(header):
        key = _header_key(cell)
        if key == MASKED_ID_HEADER:
            seen_masked = True
        field = by_name.get(key) or by_name.get(key.lower())
        if field is None:
            continue
        title = dict(columns)[field]
        if field in found:
            errors.add(1, title, _("表头“%(title)s”重复") % {"title": title})
        else:
            found[field] = index
    headers = dict(columns)
    for field in required:
        if field in found:
            continue
        if field == "id_number" and seen_masked:
            message = _("这是导出的名册，身份证号已脱敏，不能用于导入；请使用导入模板。")
        else:
            message = _("缺少必填列“%(title)s”，请使用下载的模板") % {"title": headers[field]}
        errors.add(1, headers[field], message)
    return found


def records(file, columns, required) -> Iterator[tuple[int, dict]]:
    """(row number, {field: value}) for every non-empty data row; raises on a bad header
    or a file without data rows."""
    with _open_table(file) as rows:
        first = next(rows, None)
        if first is None or all(blank(v) for v in first[1]):
            raise invalid(_("文件是空的，或第1行不是表头。"))
        errors = Errors()
        colmap = _column_map(first[1], columns, required, errors)
        raise_invalid(errors)
        any_data = False
        for number, values in rows:
            if all(blank(v) for v in values):
                continue
            any_data = True
            width = len(values)
            yield number, {f: values[i] if i < width else None for f, i in colmap.items()}
        if not any_data:
            raise invalid(_("文件中没有数据：请从第2行起填写。"), row=2)
