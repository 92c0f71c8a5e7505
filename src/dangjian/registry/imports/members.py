"""Importing members: every row judged by the shared field rules, matched against the
registered members in chunked IN queries, and written in batches (`core.bulk`) inside
one transaction."""

import pickle
import re
import secrets
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.audit.models import AuditEntry
from dangjian.core import bulk, clock
from dangjian.core.batching import chunks
from dangjian.permissions import Action
from dangjian.registry import crypto, idcard, services
from dangjian.registry.imports.result import (
    WRITE_BATCH,
    ImportResult,
    all_or_nothing,
    record_import,
)
from dangjian.registry.imports.tables import (
    CHECK_BATCH,
    LOOKUP_CHUNK,
    MEMBER_COLUMNS,
    MEMBER_HEADERS,
    MEMBER_REQUIRED,
    Errors,
    blank,
    invalid,
    raise_invalid,
    records,
)
from dangjian.registry.models import Member, Organization, OrgKind, Role, RoleGrant, Transfer, User
from dangjian.registry.services import MEMBER_AUDIT_FIELDS
from dangjian.registry.validation import clean_member_fields, clean_text

ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What Excel writes into a CSV for an 18-digit number it took for a float: 6.10702E+17.
SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


class _MemberRow:
    """One accepted row, kept small: a city's file has 208,000 of them."""

    __slots__ = (
        "row",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "id_hash",
        # Filled for a new member before the row is set aside (Spill): the plain number is
        # then dropped, so that no ID number in clear is ever written to the disk.
        "id_encrypted",
        "id_masked",
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

    def member(self, **values) -> Member:
        """The member the row describes, with `values` for the fields it does not hold."""
        return Member(
            user_id=self.user_id,
            branch=self.branch,
            name=self.name,
            gender=self.gender,
            birth_date=self.birth_date,
            join_date=self.join_date,
            full_date=self.full_date,
            status=self.status,
            is_flowing=self.is_flowing,
            flowing_location=self.flowing_location,
            **values,
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


class BranchColumn:
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
        text = clean_text(value)
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
    records: Iterable[tuple[int, dict]],
    branches: BranchColumn,
    errors: Errors,
    today: date,
    seen: tuple[dict, dict] | None = None,
) -> list[_MemberRow]:
    """Pass 1: the per-field rules, the branch, and duplicates inside the file (`seen`, the
    ID hashes and phones of the earlier batches, each with its first row)."""
    accepted: list[_MemberRow] = []
    seen_ids, seen_phones = seen if seen is not None else ({}, {})
    h = MEMBER_HEADERS
    for number, raw in records:
        fields = clean_member_fields(_with_iso_dates(raw), today=today)
        bad = False
        id_ok = phone_ok = True
        id_failed = any(e.field == "id_number" for e in fields.errors)
        for err in fields.errors:
            if id_failed and err.field in ("gender", "birth_date") and blank(raw.get(err.field)):
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
        r.id_encrypted = r.id_masked = None
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


def _match_existing(actor, rows: list[_MemberRow], errors: Errors) -> list[_MemberRow]:
    """Pass 2: against the database, in chunked IN queries: members already registered
    (by keyed hash), with what would change for them, and accounts already holding a
    phone."""
    admin_paths = permissions.admin_paths(actor)
    h = MEMBER_HEADERS
    kept: list[_MemberRow] = []
    for chunk in chunks(rows, LOOKUP_CHUNK):
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
        # Accounts without a member record that hold an admin role beyond the actor's
        # reach are never attached to a new member (services.create_member: phone_in_use).
        admin_owners = {
            user_id
            for user_id, path in RoleGrant.objects.filter(
                user_id__in=[row[0] for row in phones.values() if row[1] is None],
                role=Role.ADMIN,
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
                elif owner[0] in admin_owners:
                    ok = False
                    refusal = services.phone_in_use()
                    errors.add(r.row, h["phone"], refusal.message, code=refusal.code)
                r.user_id = owner[0]
            if ok:
                kept.append(r)
    return kept


def _unusable_password() -> str:
    # What User.set_unusable_password() stores ("!" + 40 random characters), made with one
    # call to the CSPRNG instead of forty, which saves seconds on a 208,000-row import.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def _create_members(actor, rows: Iterable[_MemberRow], now) -> None:
    for chunk in chunks(rows, WRITE_BATCH):
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
            members.append(
                r.member(
                    id_number_encrypted=r.id_encrypted,
                    id_number_hash=r.id_hash,
                    id_number_masked=r.id_masked,
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


def _update_members(actor, rows: Iterable[_MemberRow], now, reason: str) -> int:
    """Write the matched rows that change something; returns how many members changed."""
    changed_count = 0
    for chunk in chunks((r for r in rows if r.change is not None), WRITE_BATCH):
        members, users, transfers, entries = [], [], [], []
        for r in chunk:
            old, new, branch_before, account_changed = r.change
            if account_changed:
                users.append(User(pk=r.user_id, phone=r.phone, name=r.name))
            if not new:
                continue
            changed_count += 1
            member = r.member(pk=r.member_id, updated_at=now)
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


class Spill:
    """Accepted rows set aside on disk between the check and the write, a batch at a time,
    so that memory does not grow with the file's rows (a province's 2,080,000 held until
    the write passed 950 MiB before the check was done; docs/performance.md, "Importing
    members"). `file` is an unnamed temporary file (TMPDIR), deleted when closed; it holds
    no ID number in clear. The rows go in pickled by this process and come out in the same
    order."""

    def __init__(self, file, branches: "BranchColumn"):
        self.branches = branches
        self.count = 0
        self._file = file

    def add(self, rows: list[_MemberRow]) -> None:
        if not rows:
            return
        state = []
        for r in rows:
            # The branch by its key: pickling the organization would copy it per batch.
            state.append(tuple(r.branch.pk if s == "branch" else getattr(r, s) for s in SLOTS))
        pickle.dump(state, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(rows)

    def __iter__(self) -> Iterator[_MemberRow]:
        self._file.seek(0)
        by_pk = self.branches.by_pk
        while True:
            try:
                # Only ever what add() wrote to our own unnamed file, never a caller's data.
                state = pickle.load(self._file)  # noqa: S301
            except EOFError:
                return
            for values in state:
                r = _MemberRow()
                for slot, value in zip(SLOTS, values, strict=True):
                    setattr(r, slot, by_pk[value] if slot == "branch" else value)
                yield r


SLOTS = _MemberRow.__slots__


def _set_aside(rows: list[_MemberRow], creates: Spill, updates: Spill) -> int:
    """The new members (their ID numbers encrypted now) and the changed ones into their
    spills; returns how many rows matched a registered member."""
    new, changed = [], []
    for r in rows:
        if r.member_id is None:
            r.id_encrypted = crypto.encrypt(r.id_number)
            r.id_masked = idcard.mask(r.id_number)
            new.append(r)
        elif r.change is not None:
            changed.append(r)
        r.id_number = None
    creates.add(new)
    updates.add(changed)
    return len(rows) - len(new)


def _check_members(actor, records, on_batch, creates: Spill, updates: Spill) -> int:
    """Both passes over the file, CHECK_BATCH rows at a time, `on_batch(rows)` after each
    (a job's count: it runs outside any transaction, so the count is seen as it moves).
    The accepted rows go to `creates` and `updates` (while the file has no error: once it
    has, they are never written). Raises import_invalid with every row's errors once the
    whole file is read; returns how many rows matched a registered member."""
    errors, db_errors = Errors(), Errors()
    seen: tuple[dict, dict] = ({}, {})
    today = clock.today()
    matched = 0
    for batch in chunks(records, CHECK_BATCH):
        cleaned = _clean_members(batch, creates.branches, errors, today, seen)
        kept = _match_existing(actor, cleaned, db_errors)
        if not (errors or db_errors):
            matched += _set_aside(kept, creates, updates)
        if on_batch is not None:
            on_batch(len(batch))
    raise_invalid(errors, db_errors)
    return matched


def _import_members(*, actor, org, records, filename: str | None, on_batch=None) -> ImportResult:
    permissions.require(actor, Action.IMPORT, org)
    branches = BranchColumn(actor, org)
    with tempfile.TemporaryFile() as new_rows, tempfile.TemporaryFile() as changed_rows:
        creates, updates = Spill(new_rows, branches), Spill(changed_rows, branches)
        matched = _check_members(actor, records, on_batch, creates, updates)
        if not (creates.count or matched):
            raise invalid(_("文件中没有数据：请从第2行起填写。"), row=2)
        now = clock.now()
        reason = (_("批量导入") + (f"：{filename}" if filename else ""))[:200]
        with all_or_nothing(_("导入期间有人修改了相同的党员或手机号，请重新导入。")):
            changed = _update_members(actor, updates, now, reason)
            _create_members(actor, creates, now)
            result = ImportResult(created=creates.count, updated=matched)
            record_import(
                actor=actor,
                org=org,
                filename=filename,
                kind="members",
                result=result,
                at=now,
                changed=changed,
            )
    return result


def import_members(*, actor, org, file, filename: str, on_batch=None) -> ImportResult:
    """Import members from an .xlsx or .csv file into branches of `org`'s subtree.

    All or nothing: raises DomainError("import_invalid", errors=[{"row", "column",
    "message"}]) and writes nothing if any row is bad. `updated` counts the rows that
    matched a registered member (by ID number), whether or not a value changed. The rows are
    checked CHECK_BATCH at a time before the one transaction that writes them, and
    `on_batch(rows)`, when given, is called after each batch."""
    permissions.require(actor, Action.IMPORT, org)
    rows = records(file, MEMBER_COLUMNS, MEMBER_REQUIRED)
    return _import_members(actor=actor, org=org, records=rows, filename=filename, on_batch=on_batch)


def import_member_rows(*, actor, org, rows: Iterable[dict], first_row: int = 2) -> ImportResult:
    """The same import from dicts keyed by the MEMBER_COLUMNS field names (the seeder
    loads a city through here). `branch` may be a code, a unique name or an Organization."""
    records = (
        (number, raw) for number, raw in enumerate(rows, start=first_row) if any(raw.values())
    )
    return _import_members(actor=actor, org=org, records=records, filename=None)
