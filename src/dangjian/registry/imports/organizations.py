"""Importing organizations, keyed by code: new ones created under their parent in any
order of the file, existing ones updated; all or nothing."""

from collections import defaultdict

from django.db.models import F
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.batching import chunks
from dangjian.core.errors import DomainError
from dangjian.permissions import Action
from dangjian.registry.imports.result import (
    WRITE_BATCH,
    ImportResult,
    all_or_nothing,
    record_import,
)
from dangjian.registry.imports.tables import (
    CHECK_BATCH,
    LOOKUP_CHUNK,
    ORG_COLUMNS,
    ORG_HEADERS,
    ORG_REQUIRED,
    Errors,
    invalid,
    raise_invalid,
    records,
)
from dangjian.registry.models import KIND_BY_NAME, Member, Organization, OrgKind, sector_from_input
from dangjian.registry.services import ORG_AUDIT_FIELDS
from dangjian.registry.validation import clean_text


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


def import_organizations(*, actor, org, file, filename: str, on_batch=None) -> ImportResult:
    """Import organizations under `org`, keyed by code. New ones are created under their
    parent (a code in scope or in the same file, in any order; blank means `org`);
    existing ones get name, kind, sector and category updated. All or nothing.
    `on_batch(rows)`, when given, is called after each CHECK_BATCH rows read and checked on
    their own; the checks across rows and the one writing transaction follow."""
    permissions.require(actor, Action.IMPORT, org)
    h = ORG_HEADERS
    errors = Errors()
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
    read = 0
    for number, raw in records(file, ORG_COLUMNS, ORG_REQUIRED):
        r = _clean_org_row(number, raw, errors, all_codes)
        if r is not None:
            rows.append(r)
        read += 1
        if on_batch is not None and read % CHECK_BATCH == 0:
            on_batch(CHECK_BATCH)
    if on_batch is not None and read % CHECK_BATCH:
        on_batch(read % CHECK_BATCH)

    # Codes used outside the actor's reach can be neither claimed nor updated from here.
    unknown = [r.code for r in rows if r.code not in by_code]
    foreign: set[str] = set()
    for chunk in chunks(unknown, LOOKUP_CHUNK):
        codes = Organization.objects.filter(code__in=chunk).values_list("code", flat=True)
        foreign.update(codes)
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
    raise_invalid(errors)
    if not kept:
        raise invalid(_("文件中没有数据：请从第2行起填写。"), row=2)

    now = clock.now()
    with all_or_nothing(_("导入期间有人修改了相同编码的组织，请重新导入。")):
        created = _create_orgs(actor, org, ordered, by_code, now)
        updated = _update_orgs(actor, [r for r in kept if r.existing is not None], now)
        result = ImportResult(created=created, updated=updated)
        record_import(
            actor=actor, org=org, filename=filename, kind="organizations", result=result, at=now
        )
    return result


def _clean_org_row(number: int, raw: dict, errors: Errors, all_codes: dict) -> "_OrgRow | None":
    h = ORG_HEADERS
    r = _OrgRow()
    r.row = number
    r.code = clean_text(raw.get("code"))
    r.name = clean_text(raw.get("name"))
    r.parent = clean_text(raw.get("parent"))
    r.category = clean_text(raw.get("category"))
    r.kind = _kind_from_input(clean_text(raw.get("kind")))
    r.sector = sector_from_input(clean_text(raw.get("sector")))
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


def _parents_first(creating: list[_OrgRow], errors: Errors) -> list[_OrgRow]:
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
    added = {o.pk: child_count[o.path] for o in parents.values() if child_count.get(o.path)}
    insert_organizations(
        actor=actor, action="org.import.create", orgs=new_orgs, added=added, at=now
    )
    return len(new_orgs)


def insert_organizations(*, actor, action: str, orgs: list, added: dict[int, int], at) -> None:
    """Insert new organizations whose paths, depths and child counts are worked out (parents
    first), count them among their existing parents' children (`added`: parent id to how
    many) and audit each as `action`."""
    Organization.objects.bulk_create(orgs, batch_size=WRITE_BATCH)
    for pk, count in added.items():
        Organization.objects.filter(pk=pk).update(numchild=F("numchild") + count)
    audit.record_many(
        [
            audit.build_entry(
                actor=actor,
                action=action,
                obj=o,
                org=o,
                after=audit.snapshot(o, ORG_AUDIT_FIELDS),
                at=at,
            )
            for o in orgs
        ]
    )


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
