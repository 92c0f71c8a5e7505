"""Who may do what to organization life's records (issue 21, point 1): the evidence of a
held activity's required items and the Party dues register. Part of dangjian.permissions,
which re-exports every name here: callers import the package, never this module.

The admins over a branch (its secretary and its superiors) record and read them; a
branch's members read its items' evidence, and their own dues, never the others'."""

from django.db.models import QuerySet

from dangjian.orglife.models import DuesBase, DuesRecord, ItemEvidence
from dangjian.permissions import (
    Action,
    _access,
    _admin_or_own_q,
    _can_activity,
    access_member,
    access_org,
    forbidden,
    is_admin_over,
    not_found,
    own_member,
)
from dangjian.registry.models import Member, Organization, OrgKind

ORGLIFE_TYPES = (ItemEvidence, DuesRecord, DuesBase)


def _can_orglife(user, action: Action, obj) -> bool:
    if isinstance(obj, ItemEvidence):
        if action == Action.READ:
            return _can_activity(user, Action.READ, obj.activity)
        return action == Action.CHANGE and is_admin_over(user, obj.activity.branch)
    branch = obj.branch if isinstance(obj, DuesRecord) else obj.member.branch
    if is_admin_over(user, branch):
        return action in (Action.READ, Action.CHANGE)
    if action == Action.READ:
        member = own_member(user)
        return member is not None and member.pk == obj.member_id
    return False


def access_item_evidence(user, evidence_id, action: Action | str = Action.READ) -> ItemEvidence:
    evidence = ItemEvidence.objects.select_related("activity", "activity__branch")
    return _access(user, evidence, evidence_id, action)


def access_dues_record(user, record_id, action: Action | str = Action.READ) -> DuesRecord:
    records = DuesRecord.objects.select_related("member", "branch")
    return _access(user, records, record_id, action)


def access_dues_register(user, branch_id) -> Organization:
    """A branch whose dues register the user keeps: the admins over it. Its members read
    the branch but not each other's dues (forbidden); anyone else gets not_found."""
    branch = access_org(user, branch_id)
    if branch.kind != OrgKind.BRANCH:
        raise not_found()
    if not is_admin_over(user, branch):
        raise forbidden()
    return branch


def access_dues_member(user, branch: Organization, member_id) -> Member:
    """A member whose dues the user records on `branch`'s register (fetched first with
    `access_dues_register`): one the user may change, of that branch. A member of another
    branch, even one the user administers, is not_found as if missing: a register's forms
    offer only its own members, on the console and the phone alike."""
    member = access_member(user, member_id, Action.CHANGE)
    if member.branch_id != branch.pk:
        raise not_found()
    return member


def scoped_item_evidence(user) -> QuerySet[ItemEvidence]:
    """The evidence of the activities the user may read."""
    return ItemEvidence.objects.filter(
        _admin_or_own_q(user, "activity__branch__path", activity__branch_id="branch_id")
    )


def scoped_dues_records(user) -> QuerySet[DuesRecord]:
    """The dues records of the branches in the user's admin scope, and the user's own."""
    return DuesRecord.objects.filter(_admin_or_own_q(user, "branch__path", member_id="pk"))
