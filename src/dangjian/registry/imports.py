"""Bulk import of organizations and members from .xlsx or .csv.

Every row is judged by the same rules as a single create (`validation.clean_member_fields`),
problems are reported per spreadsheet row and column in Chinese, and nothing is written
unless every row is good. Re-importing updates the members found by ID number (through the
keyed hash) instead of duplicating them.

It is built for a whole city in one file (208,000 members, docs/performance.md): lookups
are preloaded with chunked IN queries, accepted rows are kept as small slotted records,
and the writes go out in batches inside one transaction.
"""

import codecs
import csv
import io
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.files.base import File as DjangoFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.audit.models import AuditEntry
from dangjian.core import bulk, clock
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry import crypto, idcard
from dangjian.registry.models import (
    KIND_BY_NAME,
    Member,
    Organization,
    OrgKind,
    Role,
    RoleGrant,
    Transfer,
    User,
    sector_from_input,
)
from dangjian.registry.services import MEMBER_AUDIT_FIELDS, ORG_AUDIT_FIELDS
from dangjian.registry.validation import clean_member_fields


@dataclass
class ImportResult:
    created: int
    updated: int


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

WRITE_BATCH = 2000
LOOKUP_CHUNK = 1000
MAX_REPORTED_ERRORS = 1000
# What Excel writes into a CSV for an 18-digit number it took for a float: 6.10702E+17.
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)
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


# Templates -------------------------------------------------------------------------------


def _member_notes() -> list[tuple[str, str, str]]:
    return [
        ("姓名", _("必填"), _("不超过50个字")),
        ("身份证号", _("必填"), _("18位居民身份证号码；请把该列设置为文本格式，以免末几位丢失")),
        ("性别", _("选填"), _("男或女；不填时按身份证号确定")),
        ("出生日期", _("选填"), _("如 1985-03-14；不填时按身份证号确定")),
        ("手机号", _("必填"), _("11位大陆手机号码，用于登录，不能与他人重复")),
        ("所在党支部", _("必填"), _("党支部的组织编码，或在本组织下唯一的党支部全称")),
        ("入党日期", _("必填"), _("如 2010-07-01；入党时应年满18周岁")),
        ("转正日期", _("正式党员必填"), _("预备党员不填")),
        ("党员类型", _("必填"), _("正式党员或预备党员")),
        ("是否流动党员", _("选填"), _("是或否，不填为否")),
        ("流动去向", _("流动党员必填"), _("如 广东省深圳市")),
    ]


def _member_rules() -> list[str]:
    return [
        _("第1行为表头，请勿修改；从第2行起每行一名党员。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
        _("以身份证号识别党员：已登记的党员再次导入时更新其信息，不会重复登记。"),
        _("新导入的党员暂不能登录，需由管理员为其设置密码。"),
        _("导出的党员名册中身份证号已脱敏，不能直接用于导入。"),
    ]


def _org_notes() -> list[tuple[str, str, str]]:
    return [
        ("组织编码", _("必填"), _("唯一编码，不超过32个字符；再次导入时按编码更新")),
        ("组织名称", _("必填"), _("不超过100个字")),
        (
            "上级组织编码",
            _("选填"),
            _("已有组织或本文件中组织的编码；不填则设在导入所在的组织之下"),
        ),
        ("组织类别", _("必填"), _("党委、党总支或党支部")),
        (
            "所属领域",
            _("必填"),
            _("农村、社区、机关、事业单位、国有企业、非公企业、学校、社会组织或其他"),
        ),
        ("分类", _("选填"), _("不超过50个字，如 五星")),
    ]


def _org_rules() -> list[str]:
    return [
        _("第1行为表头，请勿修改；从第2行起每行一个党组织。"),
        _("整个文件全部校验通过才会导入；有错误时不导入任何数据，并列出出错的行和列。"),
        _(
            "已有的组织（编码相同）再次导入时更新名称、类别、领域和分类；移动组织请在组织管理中操作。"
        ),
    ]


def _template(
    fmt: str, columns, notes, rules, sheet_title: str, stem: str
) -> tuple[bytes, str, str]:
    headers = [header for _field, header in columns]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(headers)
        # With a BOM, Excel in China opens UTF-8 CSV without garbling the headers.
        return out.getvalue().encode("utf-8-sig"), f"{stem}.csv", CSV_TYPE
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = sheet_title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            # Text format, so that Excel keeps ID numbers and phones as typed.
            ws.column_dimensions[cell.column_letter].width = 18
            ws.column_dimensions[cell.column_letter].number_format = "@"
        help_ws = wb.create_sheet(_("填写说明"))
        help_ws.append([_("列"), _("是否必填"), _("说明")])
        for row in notes:
            help_ws.append(list(row))
        help_ws.append([])
        for rule in rules:
            help_ws.append([rule])
        help_ws.column_dimensions["A"].width = 16
        help_ws.column_dimensions["B"].width = 14
        help_ws.column_dimensions["C"].width = 70
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue(), f"{stem}.xlsx", XLSX_TYPE
    raise DomainError("validation_error", _("模板格式应为 csv 或 xlsx"), field="format")


def member_template(fmt: str) -> tuple[bytes, str, str]:
    """The member import template: one header row (Chinese); the .xlsx adds a help sheet."""
    return _template(
        fmt, MEMBER_COLUMNS, _member_notes(), _member_rules(), _("党员信息"), _("党员导入模板")
    )


def org_template(fmt: str) -> tuple[bytes, str, str]:
    return _template(
        fmt, ORG_COLUMNS, _org_notes(), _org_rules(), _("党组织信息"), _("党组织导入模板")
    )


# Reading files ---------------------------------------------------------------------------


class _Errors:
    """Row errors, kept in row order. Only the first MAX_REPORTED_ERRORS are kept for the
    report, but all are counted, so a wholly wrong file of 200,000 rows stays cheap."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, str]] = []
        self.count = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append((row, column, str(message)))

    def __bool__(self) -> bool:
        return self.count > 0


def _raise_invalid(*groups: _Errors) -> None:
    count = sum(g.count for g in groups)
    if not count:
        return
    items = sorted((e for g in groups for e in g.items), key=lambda e: e[0])
    items = items[:MAX_REPORTED_ERRORS]
    row, column, message = items[0]
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
        errors=[{"row": r, "column": c, "message": m} for r, c, m in items],
        error_count=count,
    )


def _invalid(message: str, column: str = "", row: int = 1) -> DomainError:
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
        raise _invalid(_("文件是空的。"))


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
def _open_table(file):
    """Yield an iterator of (spreadsheet row number, cell values), header included."""
    file = _binary(file)
    _check_size(file)
    if _sniff(file) == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable archive is "not an xlsx"
            raise _unsupported() from exc
        try:
            ws = wb.worksheets[0]
            # Some writers record a wrong sheet size; read the rows that are really there.
            ws.reset_dimensions()
            yield enumerate(ws.iter_rows(values_only=True), start=1)
        finally:
            wb.close()
    else:
        text = io.TextIOWrapper(file, encoding=_csv_encoding(file), newline="")
        try:
            yield enumerate(_csv_rows(text), start=1)
        finally:
            # Leave the caller's file open: TextIOWrapper would close it when collected.
            text.detach()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_key(value) -> str:
    return str(value).strip().strip("*").strip() if value is not None else ""


def _column_map(header, columns, required, errors: _Errors) -> dict[str, int]:
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


def _records(file, columns, required) -> Iterator[tuple[int, dict]]:
    """(row number, {field: value}) for every non-empty data row; raises on a bad header
    or a file without data rows."""
    with _open_table(file) as rows:
        first = next(rows, None)
        if first is None or all(_blank(v) for v in first[1]):
            raise _invalid(_("文件是空的，或第1行不是表头。"))
        errors = _Errors()
        colmap = _column_map(first[1], columns, required, errors)
        _raise_invalid(errors)
        any_data = False
        for number, values in rows:
            if all(_blank(v) for v in values):
                continue
            any_data = True
            width = len(values)
            yield number, {f: values[i] if i < width else None for f, i in colmap.items()}
        if not any_data:
            raise _invalid(_("文件中没有数据：请从第2行起填写。"), row=2)


# Members ---------------------------------------------------------------------------------


class _MemberRow:
    """One accepted row, kept small: a city's file has 208,000 of them."""

    __slots__ = (
        "row",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "id_hash",
        "phone",
        "branch",
        "join_date",
        "full_date",
        "status",
        "is_flowing",
        "flowing_location",
        "member_id",
        "user_id",
        # For a registered member whose values differ: (before, after, branch id, account).
        "change",
    )

    def audit_values(self, *, masked: str, is_active=True, left_at=None) -> dict:
        values = {
            "name": self.name,
            "gender": str(self.gender),
            "birth_date": self.birth_date.isoformat(),
            "id_number_masked": masked,
            "phone": self.phone,
            "branch_id": self.branch.pk,
            "join_date": self.join_date.isoformat(),
            "full_date": self.full_date.isoformat() if self.full_date else None,
            "status": str(self.status),
            "is_flowing": self.is_flowing,
            "flowing_location": self.flowing_location,
            "is_active": is_active,
            "left_at": left_at,
        }
        return {k: values[k] for k in MEMBER_AUDIT_FIELDS}


class _Branches:
    """Resolves the branch column (a code, or a name unique among the branches in scope)
    against the organizations of `org`'s subtree in the actor's scope, loaded once."""

    def __init__(self, actor, org: Organization):
        self.org = org
        orgs = Organization.objects.filter(path__startswith=org.path).filter(
            permissions.admin_scope_q(actor)
        )
        self.by_code: dict[str, Organization] = {}
        self.by_pk: dict[int, Organization] = {}
        self.by_name: dict[str, list[Organization]] = defaultdict(list)
        for o in orgs:
            self.by_pk[o.pk] = o
            if o.code:
                self.by_code[o.code] = o
            self.by_name[o.name].append(o)
        self._cache: dict[str, tuple[Organization | None, str | None]] = {}

    def resolve(self, value) -> tuple[Organization | None, str | None]:
        if isinstance(value, Organization):
            found = self.by_pk.get(value.pk)
            if found is None:
                return None, self._not_found(value.code or value.name)
            return self._check(found, value.code or value.name)
        text = _clean_text(value)
        if text not in self._cache:
            self._cache[text] = self._lookup(text)
        return self._cache[text]

    def _lookup(self, text: str):
        if not text:
            return None, _("所在党支部不能为空")
        if text in self.by_code:
            return self._check(self.by_code[text], text)
        named = self.by_name.get(text, [])
        usable = [o for o in named if o.kind == OrgKind.BRANCH and o.is_active]
        if len(usable) == 1:
            return usable[0], None
        if len(usable) > 1:
            return None, _("有%(count)d个党支部名为“%(name)s”，请改填党支部的组织编码") % {
                "count": len(usable),
                "name": text,
            }
        if named:
            return self._check(named[0], text)
        return None, self._not_found(text)

    def _not_found(self, text: str) -> str:
        # The same words whether the branch is missing or outside the actor's scope.
        return _("在“%(org)s”下找不到党支部“%(value)s”，请填写党支部的组织编码或全称") % {
            "org": self.org.name,
            "value": text,
        }

    @staticmethod
    def _check(o: Organization, text: str):
        if o.kind != OrgKind.BRANCH:
            return None, _("“%(value)s”不是党支部，党员只能编入党支部") % {"value": text}
        if not o.is_active:
            return None, _("党支部“%(value)s”已撤销") % {"value": text}
        return o, None


def _numeric_id(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(SCIENTIFIC_RE.match(value.strip()))


def _numeric_id_message() -> str:
    # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has
    # already lost its last three when we read it.
    return _("身份证号被Excel存成了数字，末几位已丢失；请把该列设置为文本格式后重新填写")


def _with_iso_dates(raw: dict) -> dict:
    """The row with YYYY-MM-DD text already turned into dates: the same result as the
    shared rules' strptime, at a tenth of the cost, which a city's file notices."""
    converted = None
    for key in ("birth_date", "join_date", "full_date"):
        value = raw.get(key)
        if type(value) is str and ISO_DATE_RE.fullmatch(value := value.strip()):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                continue  # 2020-02-30: the shared rules word the error
            if converted is None:
                converted = dict(raw)
            converted[key] = parsed
    return converted or raw


def _clean_members(
    records: Iterable[tuple[int, dict]], branches: _Branches, errors: _Errors, today: date
) -> list[_MemberRow]:
    """Pass 1: the per-field rules, the branch, and duplicates inside the file."""
    accepted: list[_MemberRow] = []
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    h = MEMBER_HEADERS
    for number, raw in records:
        fields = clean_member_fields(_with_iso_dates(raw), today=today)
        bad = False
        id_ok = phone_ok = True
        id_failed = any(e.field == "id_number" for e in fields.errors)
        for err in fields.errors:
            if id_failed and err.field in ("gender", "birth_date") and _blank(raw.get(err.field)):
                # Left blank to be read from the ID number: the ID's own error says it all.
                continue
            bad = True
            message = err.message
            if err.field == "id_number":
                id_ok = False
                if _numeric_id(raw.get("id_number")):
                    message = _numeric_id_message()
            elif err.field == "phone":
                phone_ok = False
            errors.add(number, h.get(err.field, err.field), message)
        if id_ok and _numeric_id(raw.get("id_number")):
            # A number that happens to pass the check digit is still a guess: refuse it.
            id_ok, bad = False, True
            errors.add(number, h["id_number"], _numeric_id_message())
        branch, branch_error = branches.resolve(raw.get("branch"))
        if branch_error:
            bad = True
            errors.add(number, h["branch"], branch_error)
        id_hash = None
        if id_ok:
            id_hash = crypto.keyed_hash(fields.id_number)
            first = seen_ids.setdefault(id_hash, number)
            if first != number:
                bad = True
                errors.add(
                    number,
                    h["id_number"],
                    _("与第%(row)d行的身份证号重复") % {"row": first},
                )
        if phone_ok:
            first = seen_phones.setdefault(fields.phone, number)
            if first != number:
                bad = True
                errors.add(number, h["phone"], _("与第%(row)d行的手机号重复") % {"row": first})
        if bad:
            continue
        r = _MemberRow()
        r.row = number
        r.name = fields.name
        r.gender = str(fields.gender)
        r.birth_date = fields.birth_date
        r.id_number = fields.id_number
        r.id_hash = id_hash
        r.phone = fields.phone
        r.branch = branch
        r.join_date = fields.join_date
        r.full_date = fields.full_date
        r.status = str(fields.status)
        r.is_flowing = fields.is_flowing
        r.flowing_location = fields.flowing_location
        r.member_id = None
        r.user_id = None
        r.change = None
        accepted.append(r)
    return accepted


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_CURRENT_FIELDS = (
    "id_number_hash",
    "pk",
    "user_id",
    "branch__path",
    "user__name",
    # Then the audited fields, so that a row compares exactly like update_member's snapshot.
    *("user__phone" if f == "phone" else f for f in MEMBER_AUDIT_FIELDS),
)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _match_existing(actor, rows: list[_MemberRow], errors: _Errors) -> list[_MemberRow]:
    """Pass 2: against the database, in chunked IN queries: members already registered
    (by keyed hash), with what would change for them, and accounts already holding a
    phone."""
    admin_paths = permissions.admin_paths(actor)
    h = MEMBER_HEADERS
    kept: list[_MemberRow] = []
    for chunk in _chunks(rows, LOOKUP_CHUNK):
        existing = {
            row[0]: row[1:]
            for row in Member.objects.filter(
                id_number_hash__in=[r.id_hash for r in chunk]
            ).values_list(*_CURRENT_FIELDS)
        }
        phones = {
            row[0]: row[1:]
            for row in User.objects.filter(phone__in=[r.phone for r in chunk]).values_list(
                "phone", "pk", "member__pk"
            )
        }
        # Admin roles of the accounts found: changing their login phone takes them over,
        # which needs authority over everything they administer (as update_member asks).
        beyond_reach = {
            user_id
            for user_id, path in RoleGrant.objects.filter(
                user_id__in=[row[1] for row in existing.values()], role=Role.ADMIN
            ).values_list("user_id", "org__path")
            if not any(path.startswith(p) for p in admin_paths)
        }
        for r in chunk:
            ok = True
            found = existing.get(r.id_hash)
            owner = phones.get(r.phone)
            if found is not None:
                member_id, user_id, path, user_name, *current = found
                before = dict(zip(MEMBER_AUDIT_FIELDS, map(_plain, current), strict=True))
                if not any(path.startswith(p) for p in admin_paths):
                    ok = False
                    errors.add(r.row, h["id_number"], _("该身份证号已登记的党员不在您的管理范围内"))
                elif not before["is_active"]:
                    ok = False
                    errors.add(
                        r.row,
                        h["id_number"],
                        _("该党员已不在册（已离开），不能通过导入修改"),
                    )
                if owner is not None and owner[0] != user_id:
                    ok = False
                    errors.add(r.row, h["phone"], _("该手机号已被其他账号使用"))
                elif r.phone != before["phone"] and user_id in beyond_reach:
                    ok = False
                    errors.add(
                        r.row,
                        h["phone"],
                        _("该账号拥有超出您管理范围的管理权限，您不能修改其登录信息"),
                    )
                r.member_id, r.user_id = member_id, user_id
                after = r.audit_values(
                    masked=before["id_number_masked"],
                    is_active=before["is_active"],
                    left_at=before["left_at"],
                )
                old, new = audit.diff(before, after)
                account_changed = r.phone != before["phone"] or r.name != user_name
                if new or account_changed:
                    r.change = (old, new, before["branch_id"], account_changed)
            elif owner is not None:
                # As in a single create: an account without a member record (say, an
                # organization department's staff) becomes this member's account.
                if owner[1] is not None:
                    ok = False
                    errors.add(r.row, h["phone"], _("该手机号已被其他党员使用"))
                r.user_id = owner[0]
            if ok:
                kept.append(r)
    return kept


def _unusable_password() -> str:
    # What User.set_unusable_password() stores ("!" + 40 random characters), made with one
    # call to the CSPRNG instead of forty, which saves seconds on a 208,000-row import.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def _create_members(actor, rows: list[_MemberRow], now) -> None:
    for chunk in _chunks(rows, WRITE_BATCH):
        new_users = []
        for r in chunk:
            if r.user_id is None:
                user = User(phone=r.phone, name=r.name, password=_unusable_password())
                new_users.append((r, user))
        bulk.insert(User, [u for _r, u in new_users])
        for r, user in new_users:
            r.user_id = user.pk
        members = []
        entries = []
        for r in chunk:
            masked = idcard.mask(r.id_number)
            members.append(
                Member(
                    user_id=r.user_id,
                    branch=r.branch,
                    name=r.name,
                    gender=r.gender,
                    birth_date=r.birth_date,
                    id_number_encrypted=crypto.encrypt(r.id_number),
                    id_number_hash=r.id_hash,
                    id_number_masked=masked,
                    join_date=r.join_date,
                    full_date=r.full_date,
                    status=r.status,
                    is_flowing=r.is_flowing,
                    flowing_location=r.flowing_location,
                )
            )
        bulk.insert(Member, members)
        for r, member in zip(chunk, members, strict=True):
            entries.append(
                audit.build_entry(
                    actor=actor,
                    action="member.import.create",
                    obj=member,
                    org=r.branch,
                    after=r.audit_values(masked=member.id_number_masked),
                    at=now,
                )
            )
        # Entries are built by audit.build_entry; only the insert is faster than record_many.
        bulk.insert(AuditEntry, entries)


MEMBER_UPDATE_FIELDS = [
    "name",
    "gender",
    "birth_date",
    "join_date",
    "full_date",
    "status",
    "is_flowing",
    "flowing_location",
    "branch",
    "updated_at",
]


def _update_members(actor, rows: list[_MemberRow], now, reason: str) -> int:
    """Write the matched rows that change something; returns how many members changed."""
    changed_count = 0
    for chunk in _chunks([r for r in rows if r.change is not None], WRITE_BATCH):
        members, users, transfers, entries = [], [], [], []
        for r in chunk:
            old, new, branch_before, account_changed = r.change
            if account_changed:
                users.append(User(pk=r.user_id, phone=r.phone, name=r.name))
            if not new:
                continue
            changed_count += 1
            member = Member(
                pk=r.member_id,
                user_id=r.user_id,
                branch=r.branch,
                name=r.name,
                gender=r.gender,
                birth_date=r.birth_date,
                join_date=r.join_date,
                full_date=r.full_date,
                status=r.status,
                is_flowing=r.is_flowing,
                flowing_location=r.flowing_location,
                updated_at=now,
            )
            members.append(member)
            if branch_before != r.branch.pk:
                transfers.append(
                    Transfer(
                        member_id=r.member_id,
                        from_branch_id=branch_before,
                        to_branch=r.branch,
                        reason=reason,
                        actor=actor,
                        transferred_at=now,
                    )
                )
            entries.append(
                audit.build_entry(
                    actor=actor,
                    action="member.import.update",
                    obj=member,
                    org=r.branch,
                    before=old,
                    after=new,
                    at=now,
                )
            )
        bulk.update(User, users, ["phone", "name"])
        bulk.update(Member, members, MEMBER_UPDATE_FIELDS)
        bulk.insert(Transfer, transfers)
        bulk.insert(AuditEntry, entries)
    return changed_count


def _import_members(*, actor, org, records, filename: str | None) -> ImportResult:
    permissions.require(actor, Action.IMPORT, org)
    branches = _Branches(actor, org)
    errors = _Errors()
    rows = _clean_members(records, branches, errors, clock.today())
    db_errors = _Errors()
    rows = _match_existing(actor, rows, db_errors)
    _raise_invalid(errors, db_errors)
    if not rows:
        raise _invalid(_("文件中没有数据：请从第2行起填写。"), row=2)
    to_create = [r for r in rows if r.member_id is None]
    to_update = [r for r in rows if r.member_id is not None]
    del rows
    now = clock.now()
    reason = (_("批量导入") + (f"：{filename}" if filename else ""))[:200]
    try:
        with transaction.atomic():
            changed = _update_members(actor, to_update, now, reason)
            _create_members(actor, to_create, now)
            result = ImportResult(created=len(to_create), updated=len(to_update))
            audit.record(
                actor=actor,
                action="registry.import",
                obj=org,
                org=org,
                label=f"{org} · {filename or _('批量导入')}",
                after={
                    "file": filename,
                    "kind": "members",
                    "created": result.created,
                    "updated": result.updated,
                    "changed": changed,
                },
                at=now,
            )
    except IntegrityError as exc:
        # Someone registered the same person or phone between our checks and our writes.
        raise DomainError(
            "import_conflict", _("导入期间有人修改了相同的党员或手机号，请重新导入。")
        ) from exc
    return result


def import_members(*, actor, org, file, filename: str) -> ImportResult:
    """Import members from an .xlsx or .csv file into branches of `org`'s subtree.

    All or nothing: raises DomainError("import_invalid", errors=[{"row", "column",
    "message"}]) and writes nothing if any row is bad. `updated` counts the rows that
    matched a registered member (by ID number), whether or not a value changed."""
    permissions.require(actor, Action.IMPORT, org)
    records = _records(file, MEMBER_COLUMNS, MEMBER_REQUIRED)
    return _import_members(actor=actor, org=org, records=records, filename=filename)


def import_member_rows(*, actor, org, rows: Iterable[dict], first_row: int = 2) -> ImportResult:
    """The same import from dicts keyed by the MEMBER_COLUMNS field names (the seeder
    loads a city through here). `branch` may be a code, a unique name or an Organization."""
    records = (
        (number, raw) for number, raw in enumerate(rows, start=first_row) if any(raw.values())
    )
    return _import_members(actor=actor, org=org, records=records, filename=None)


# Organizations ---------------------------------------------------------------------------


class _OrgRow:
    __slots__ = (
        "row",
        "code",
        "name",
        "parent",
        "kind",
        "sector",
        "category",
        "existing",
    )


def _clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _kind_from_input(value: str) -> str | None:
    if value in KIND_BY_NAME:
        return KIND_BY_NAME[value]
    if value in OrgKind.values:
        return value
    return None


def _accepts(parent_kind: str, kind: str) -> str | None:
    if parent_kind == OrgKind.BRANCH:
        return _("党支部下不能再设立组织")
    if parent_kind == OrgKind.GENERAL_BRANCH and kind != OrgKind.BRANCH:
        return _("党总支下只能设立党支部")
    return None


def import_organizations(*, actor, org, file, filename: str) -> ImportResult:
    """Import organizations under `org`, keyed by code. New ones are created under their
    parent (a code in scope or in the same file, in any order; blank means `org`);
    existing ones get name, kind, sector and category updated. All or nothing."""
    permissions.require(actor, Action.IMPORT, org)
    h = ORG_HEADERS
    errors = _Errors()
    step = Organization.steplen
    in_scope = list(
        Organization.objects.filter(path__startswith=org.path).filter(
            permissions.admin_scope_q(actor)
        )
    )
    by_code = {o.code: o for o in in_scope if o.code}
    by_path = {o.path: o for o in in_scope}
    child_kinds: dict[str, set[str]] = defaultdict(set)
    for o in in_scope:
        child_kinds[o.path[:-step]].add(o.kind)
    parent_of_org = (
        Organization.objects.filter(path=org.path[:-step]).first() if org.depth > 1 else None
    )

    rows: list[_OrgRow] = []
    all_codes: dict[str, int] = {}
    for number, raw in _records(file, ORG_COLUMNS, ORG_REQUIRED):
        r = _clean_org_row(number, raw, errors, all_codes)
        if r is not None:
            rows.append(r)

    # Codes used outside the actor's reach can be neither claimed nor updated from here.
    unknown = [r.code for r in rows if r.code not in by_code]
    foreign: set[str] = set()
    for chunk in _chunks(unknown, LOOKUP_CHUNK):
        foreign.update(Organization.objects.filter(code__in=chunk).values_list("code", flat=True))
    in_file = {r.code: r for r in rows}
    changing_branches = [
        o.pk
        for r in rows
        if (o := by_code.get(r.code)) is not None
        and o.kind == OrgKind.BRANCH
        and r.kind != OrgKind.BRANCH
    ]
    with_members = set(
        Member.objects.filter(branch_id__in=changing_branches)
        .values_list("branch_id", flat=True)
        .distinct()
    )

    def kind_after(o: Organization) -> str:
        """The kind an organization will have once this file is in."""
        row = in_file.get(o.code) if o.code else None
        return row.kind if row else o.kind

    kept: list[_OrgRow] = []
    for r in rows:
        problems: list[tuple[str, str]] = []
        existing = by_code.get(r.code)
        if r.code in foreign:
            problems.append(("code", _("组织编码已被使用")))
        elif existing is not None:
            r.existing = existing
            if existing.pk == org.pk:
                current_parent = parent_of_org
            else:
                current_parent = by_path.get(existing.path[:-step])
            current_code = (current_parent.code if current_parent else None) or ""
            if r.parent and r.parent != current_code:
                problems.append(("parent", _("上级组织与系统中不一致；移动组织请在组织管理中操作")))
            if r.kind != existing.kind:
                below = child_kinds.get(existing.path, set())
                if r.kind == OrgKind.BRANCH and existing.numchild:
                    problems.append(("kind", _("该组织有下级组织，不能改为党支部")))
                elif r.kind == OrgKind.GENERAL_BRANCH and below - {OrgKind.BRANCH}:
                    problems.append(("kind", _("党总支下只能设立党支部")))
                elif existing.pk in with_members:
                    problems.append(("kind", _("该党支部还有党员，不能改变组织类别")))
                elif current_parent is not None and (
                    problem := _accepts(kind_after(current_parent), r.kind)
                ):
                    problems.append(("kind", problem))
        else:
            parent_kind = None
            if not r.parent:
                parent_kind = kind_after(org)
            elif r.parent in in_file:
                parent_kind = in_file[r.parent].kind
            elif r.parent in by_code:
                parent_kind = kind_after(by_code[r.parent])
            elif r.parent in all_codes:
                problems.append(
                    ("parent", _("上级组织所在的第%(row)d行有错误") % {"row": all_codes[r.parent]})
                )
            else:
                problems.append(
                    (
                        "parent",
                        _("在“%(org)s”下找不到上级组织“%(code)s”")
                        % {"org": org.name, "code": r.parent},
                    )
                )
            if parent_kind is not None and (problem := _accepts(parent_kind, r.kind)):
                problems.append(("kind", problem))
        for field, message in problems:
            errors.add(r.row, h[field], message)
        if not problems:
            kept.append(r)

    ordered = _parents_first([r for r in kept if r.existing is None], errors)
    _raise_invalid(errors)
    if not kept:
        raise _invalid(_("文件中没有数据：请从第2行起填写。"), row=2)

    now = clock.now()
    try:
        with transaction.atomic():
            created = _create_orgs(actor, org, ordered, by_code, now)
            updated = _update_orgs(actor, [r for r in kept if r.existing is not None], now)
            result = ImportResult(created=created, updated=updated)
            audit.record(
                actor=actor,
                action="registry.import",
                obj=org,
                org=org,
                label=f"{org} · {filename}",
                after={
                    "file": filename,
                    "kind": "organizations",
                    "created": created,
                    "updated": updated,
                },
                at=now,
            )
    except IntegrityError as exc:
        raise DomainError(
            "import_conflict", _("导入期间有人修改了相同编码的组织，请重新导入。")
        ) from exc
    return result


def _clean_org_row(number: int, raw: dict, errors: _Errors, all_codes: dict) -> "_OrgRow | None":
    h = ORG_HEADERS
    r = _OrgRow()
    r.row = number
    r.code = _clean_text(raw.get("code"))
    r.name = _clean_text(raw.get("name"))
    r.parent = _clean_text(raw.get("parent"))
    r.category = _clean_text(raw.get("category"))
    r.kind = _kind_from_input(_clean_text(raw.get("kind")))
    r.sector = sector_from_input(_clean_text(raw.get("sector")))
    r.existing = None
    checks = [
        ("code", not r.code, _("组织编码不能为空")),
        ("code", len(r.code) > 32, _("组织编码不能超过32个字符")),
        ("name", not r.name, _("组织名称不能为空")),
        ("name", len(r.name) > 100, _("组织名称不能超过100个字")),
        ("kind", r.kind is None, _("组织类别应为“党委”“党总支”或“党支部”")),
        ("sector", r.sector is None, _("所属领域无效，应为农村、社区、机关等")),
        ("category", len(r.category) > 50, _("分类不能超过50个字")),
        ("parent", r.parent and r.parent == r.code, _("上级组织不能是它自己")),
    ]
    bad = False
    for field, failed, message in checks:
        if failed:
            bad = True
            errors.add(number, h[field], message)
    if r.code:
        first = all_codes.setdefault(r.code, number)
        if first != number:
            bad = True
            errors.add(number, h["code"], _("与第%(row)d行的组织编码重复") % {"row": first})
    return None if bad else r


def _parents_first(creating: list[_OrgRow], errors: _Errors) -> list[_OrgRow]:
    """New rows ordered so that every parent precedes its children, whatever the order
    in the file; rows that never resolve form a cycle."""
    codes = {r.code for r in creating}
    ordered: list[_OrgRow] = []
    placed: set[str] = set()
    pending = creating
    while pending:
        ready = [r for r in pending if r.parent not in codes or r.parent in placed]
        if not ready:
            for r in pending:
                errors.add(r.row, ORG_HEADERS["parent"], _("上级组织编码形成了循环"))
            break
        placed.update(r.code for r in ready)
        ordered.extend(ready)
        pending = [r for r in pending if r.code not in placed]
    return ordered


def _create_orgs(actor, org, ordered: list[_OrgRow], by_code, now) -> int:
    if not ordered:
        return 0
    step = Organization.steplen
    parent_code = {r.code: r.parent for r in ordered}
    # Lock the existing parents, then read their children's paths: treebeard appends a
    # child after its parent's last one, and so do we.
    existing_parents = {
        (by_code[r.parent] if r.parent else org).pk
        for r in ordered
        if not r.parent or r.parent not in parent_code
    }
    parents = {
        o.pk: o for o in Organization.objects.select_for_update().filter(pk__in=existing_parents)
    }
    next_step: dict[str, int] = {}
    for o in parents.values():
        last = (
            Organization.objects.filter(path__startswith=o.path, depth=o.depth + 1)
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        next_step[o.path] = Organization._str2int(last[-step:]) + 1 if last else 1

    path_of: dict[str, str] = {}
    new_orgs: list[Organization] = []
    child_count: dict[str, int] = defaultdict(int)
    for r in ordered:
        if r.parent and r.parent in parent_code:
            parent_path = path_of[r.parent]
        else:
            parent_path = parents[(by_code[r.parent] if r.parent else org).pk].path
        depth = len(parent_path) // step + 1
        position = next_step.get(parent_path, 1)
        next_step[parent_path] = position + 1
        if len(Organization._int2str(position)) > step:
            raise DomainError("invalid_parent", _("上级组织的下级组织数量已达上限"))
        path = Organization._get_path(parent_path, depth, position)
        path_of[r.code] = path
        child_count[parent_path] += 1
        new_orgs.append(
            Organization(
                path=path,
                depth=depth,
                numchild=0,
                name=r.name,
                code=r.code,
                kind=r.kind,
                sector=r.sector,
                category=r.category,
            )
        )
    for o in new_orgs:
        o.numchild = child_count.get(o.path, 0)
    Organization.objects.bulk_create(new_orgs, batch_size=WRITE_BATCH)
    for o in parents.values():
        if child_count.get(o.path):
            Organization.objects.filter(pk=o.pk).update(
                numchild=F("numchild") + child_count[o.path]
            )
    audit.record_many(
        [
            audit.build_entry(
                actor=actor,
                action="org.import.create",
                obj=o,
                org=o,
                after=audit.snapshot(o, ORG_AUDIT_FIELDS),
                at=now,
            )
            for o in new_orgs
        ]
    )
    return len(new_orgs)


def _update_orgs(actor, rows: list[_OrgRow], now) -> int:
    changed, entries = [], []
    for r in rows:
        o = r.existing
        before = audit.snapshot(o, ORG_AUDIT_FIELDS)
        o.name, o.kind, o.sector, o.category = r.name, r.kind, r.sector, r.category
        o.updated_at = now
        old, new = audit.diff(before, audit.snapshot(o, ORG_AUDIT_FIELDS))
        if new:
            changed.append(o)
            entries.append(
                audit.build_entry(
                    actor=actor,
                    action="org.import.update",
                    obj=o,
                    org=o,
                    before=old,
                    after=new,
                    at=now,
                )
            )
    Organization.objects.bulk_update(
        changed, ["name", "kind", "sector", "category", "updated_at"], batch_size=500
    )
    audit.record_many(entries)
    return len(rows)
