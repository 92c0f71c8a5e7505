"""The one place that answers "may user U do A to object O".

Every page, API endpoint and service asks here. The rules:

- An admin role is held on an organization and reaches that organization and its whole
  subtree (a prefix match on the materialized path), nothing above or beside it.
- A member reads their own branch and their own record, nothing else.
- Everyone else (anonymous, a user with neither) reads nothing.

Objects are fetched with `access_<thing>(actor, id, action)`: it returns the object, or
raises `not_found` whether the object is missing or out of scope, so that nobody can
probe for the existence of another county's data. An object the actor may read but not
act on raises `forbidden`.
"""

from collections import defaultdict
from collections.abc import Container
from enum import StrEnum
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dangjian.attendance.models import ATTENDED, AttendanceRecord, Correction, LeaveRequest
from dangjian.core.errors import DomainError
from dangjian.interaction.models import Comment, Photo
from dangjian.learning.models import (
    Article,
    Attempt,
    Question,
    QuestionCategory,
    Quiz,
    StudyPackage,
)
from dangjian.registry.models import Member, Organization, OrgKind, Role, RoleGrant, User
from dangjian.supervision.models import Rectification, RectificationAttachment, SpotCheck
from dangjian.themedays import roster
from dangjian.themedays.models import Activity, Campaign, CampaignAttachment
from dangjian.volunteering.models import (
    Citizen,
    Claim,
    HoursEntry,
    Order,
    ServiceCategory,
    VolunteerProfile,
)


class Action(StrEnum):
    READ = "read"
    CHANGE = "change"
    IMPORT = "import"
    GRANT = "grant"
    VIEW_ID_NUMBER = "view_id_number"
    VIEW_AUDIT = "view_audit"
    # Approve or reject an activity plan: an admin of a strict ancestor of the branch.
    # Publish or withdraw an article: an admin of its publishing organization (or above).
    REVIEW = "review"
    # Comment on and like an activity: the members of its roster, flowing ones included.
    TAKE_PART = "take_part"
    # Add photos to an activity's record: the admins over its branch, and the members who
    # attended it (checked in, or corrected to attended).
    CONTRIBUTE = "contribute"
    # Rate a held activity: an admin of a strict ancestor of the branch (not its own).
    RATE = "rate"
    # Spot-check an organization's branches, open a rectification for a branch, accept or
    # reopen one: an admin of the organization, but for a branch only its superiors.
    SUPERVISE = "supervise"
    # Answer a rectification: the admins of the branch itself.
    ANSWER = "answer"


ADMIN_ACTIONS = frozenset(Action) - {Action.READ}


def not_found() -> DomainError:
    return DomainError("not_found", _("未找到该对象。"))


def forbidden() -> DomainError:
    return DomainError("forbidden", _("您没有权限执行此操作。"))


def _authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def admin_paths(user) -> tuple[str, ...]:
    """Paths of the organizations the user administers, nested ones dropped. Cached on
    the user object for the request."""
    if not _authenticated(user):
        return ()
    cached = getattr(user, "_dj_admin_paths", None)
    if cached is None:
        paths = sorted(_admin_grants(user=user).values_list("org__path", flat=True).distinct())
        kept: list[str] = []
        for path in paths:
            if not any(path.startswith(k) for k in kept):
                kept.append(path)
        cached = tuple(kept)
        user._dj_admin_paths = cached
    return cached


def _admin_grants(**filters) -> QuerySet[RoleGrant]:
    """The admin roles that count: held on an active organization."""
    return RoleGrant.objects.filter(role=Role.ADMIN, org__is_active=True, **filters)


def own_member(user) -> Member | None:
    """The user's active member record, if any. Cached on the user object."""
    if not _authenticated(user):
        return None
    if not hasattr(user, "_dj_member"):
        user._dj_member = (
            Member.objects.select_related("branch").filter(user=user, is_active=True).first()
        )
    return user._dj_member


def forget(user) -> None:
    """Drop the cached facts after the user's roles or membership changed."""
    for attr in ("_dj_admin_paths", "_dj_member", "_dj_citizen", "_dj_volunteer_paths"):
        if hasattr(user, attr):
            delattr(user, attr)


def is_admin(user) -> bool:
    return bool(admin_paths(user))


def administers_branches_only(user) -> bool:
    """An admin whose every organization is a branch (a branch secretary): their work is on
    the phone (the month's pages, `/m/month/`), so they land there and the notices meant for
    them link there, never to the back office's pages."""
    paths = admin_paths(user)
    return bool(paths) and not (
        Organization.objects.filter(path__in=paths).exclude(kind=OrgKind.BRANCH).exists()
    )


def is_admin_over(user, org: Organization) -> bool:
    return any(org.path.startswith(p) for p in admin_paths(user))


def admin_scope_q(user, path_field: str = "path") -> Q:
    """A filter for rows whose organization path lies in the user's admin scope."""
    paths = admin_paths(user)
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{path_field}__startswith": p}) for p in paths))


def _admin_or_own_q(user, path_field: str, **own: str) -> Q:
    """Rows in the user's admin scope, or their own: `own` maps each field to the attribute
    of the user's member record that it must equal."""
    q = admin_scope_q(user, path_field)
    member = own_member(user)
    if member is not None:
        q |= Q(**{field: getattr(member, attr) for field, attr in own.items()})
    return q


def standing_paths(user) -> list[str]:
    """The paths of the organizations the user administers, and of their own branch."""
    paths = list(admin_paths(user))
    member = own_member(user)
    if member is not None:
        paths.append(member.branch.path)
    return paths


def can(user, action: Action | str, obj) -> bool:
    action = Action(action)
    if not _authenticated(user):
        return False
    if isinstance(obj, Organization):
        if action == Action.SUPERVISE and obj.kind == "branch":
            return is_admin_above(user, obj)
        return _admin_or_member_reading(user, action, obj)
    if isinstance(obj, Member):
        if is_admin_over(user, obj.branch):
            return True
        if action in (Action.READ, Action.VIEW_ID_NUMBER):
            return obj.user_id == user.pk and obj.is_active
        return False
    if isinstance(obj, Activity):
        return _can_activity(user, action, obj)
    if isinstance(obj, Campaign):
        return _can_campaign(user, action, obj)
    if isinstance(obj, Comment):
        return _can_comment(user, action, obj)
    if isinstance(obj, Photo):
        return _can_photo(user, action, obj)
    if isinstance(obj, LeaveRequest):
        return _can_leave(user, action, obj)
    if isinstance(obj, Correction):
        return _can_correction(user, action, obj)
    if isinstance(obj, SpotCheck | Rectification | RecordReview):
        return _can_supervision(user, action, obj)
    if isinstance(obj, Article):
        return _can_article(user, action, obj)
    if isinstance(obj, QuestionCategory | Question | Quiz | Attempt):
        return _can_quiz_object(user, action, obj)
    if isinstance(obj, StudyPackage):
        return _can_package(user, action, obj)
    if isinstance(obj, Order | Claim | Citizen | ServiceCategory | VolunteerProfile | HoursEntry):
        return _can_volunteering(user, action, obj)
    if isinstance(obj, AWARD_MODELS):  # noqa: F405
        return can_awards(user, action, obj)  # noqa: F405
    if isinstance(obj, MonthlySheet):
        return _can_monthly_sheet(user, action, obj)
    if isinstance(obj, Bulletin):
        return _can_bulletin(user, action, obj)
    if isinstance(obj, ORGLIFE_TYPES):
        return _can_orglife(user, action, obj)
    if isinstance(obj, APPRAISAL_MODELS):
        return _can_appraisal(user, action, obj)
    if isinstance(obj, Ledger):
        return _can_ledger(user, action, obj)
    raise TypeError(f"no permission rules for {type(obj).__name__}")


def is_admin_above(user, org: Organization) -> bool:
    """Admin of a strict ancestor of `org` (a superior organization): who reviews its plans
    and corrections, rates its activities and supervises it."""
    return _admin_path_above(user, org) is not None


def is_admin_over_account(user, account) -> bool:
    """Whether the user administers everything the account administers. Setting an
    account's password, its login phone or ending its sign-ins takes the account over (or
    away), so a branch admin must not do it to a county admin who is a member of their
    branch."""
    grants = _admin_grants(user=account).select_related("org")
    return all(is_admin_over(user, grant.org) for grant in grants)


def is_superior_of_admin(user, account) -> bool:
    """Whether the account is an admin subordinate to the user: it administers something,
    and everything it administers lies strictly below an organization the user
    administers (a county's admins are reset by the city's, not by each other)."""
    if not _authenticated(user) or account.pk == user.pk:
        return False
    orgs = [grant.org for grant in _admin_grants(user=account).select_related("org")]
    return bool(orgs) and all(is_admin_above(user, org) for org in orgs)


def access_subordinate_admin(user, account_id):
    """A subordinate admin's account (is_superior_of_admin), or not_found."""
    account = User.objects.filter(pk=_pk(account_id), is_active=True).first()
    if account is None or not is_superior_of_admin(user, account):
        raise not_found()
    return account


def _admin_path_above(user, org: Organization) -> str | None:
    # Nested admin paths are dropped, so at most one of them lies above `org`.
    return next((p for p in admin_paths(user) if org.path.startswith(p) and org.path != p), None)


def superior_org(user, org: Organization) -> Organization:
    """The organization above `org` through which the user administers it: the level that
    a rating or a rectification is made in the name of. Forbidden when there is none."""
    path = _admin_path_above(user, org)
    if path is None:
        raise forbidden()
    return Organization.objects.get(path=path)


def admin_above_q(user, path_field: str = "path") -> Q:
    """`is_admin_above` as a filter: rows whose organization lies strictly below one the
    user administers (their review queues)."""
    return admin_scope_q(user, path_field) & ~Q(**{f"{path_field}__in": admin_paths(user)})


def superior_paths(path: str) -> list[str]:
    """The paths of the organizations above `path`, nearest first."""
    step = Organization.steplen
    return [path[: step * depth] for depth in range(len(path) // step - 1, 0, -1)]


def reviewing_path(branch_path: str, paths_with_admins: Container[str]) -> str | None:
    """Whose admins are asked to review a branch's plans and corrections: the nearest
    organization above it that has admins. (Any admin above may review: `is_admin_above`.)
    Pure, for the seeding simulation, which knows the admins already."""
    return next((p for p in superior_paths(branch_path) if p in paths_with_admins), None)


def reviewer_user_ids(branch: Organization) -> list[int]:
    """The users asked to review the branch's plans and corrections (`reviewing_path`)."""
    by_path: dict[str, list[int]] = defaultdict(list)
    for path, user_id in (
        _admin_grants(org__path__in=superior_paths(branch.path), user__is_active=True)
        .order_by("org__path", "pk")
        .values_list("org__path", "user_id")
    ):
        by_path[path].append(user_id)
    return by_path.get(reviewing_path(branch.path, by_path), [])


def _can_campaign(user, action: Action, campaign: Campaign) -> bool:
    path = campaign.org.path
    if any(path.startswith(p) for p in admin_paths(user)):
        return True
    return action == Action.READ and _in_subtree(user, path)


def _in_subtree(user, path: str) -> bool:
    """Those a campaign, an article, a quiz or a package of the organization at `path`
    reaches: the admins inside its subtree and its members."""
    return any(p.startswith(path) for p in admin_paths(user)) or _member_in_subtree(
        own_member(user), path
    )


def _member_in_subtree(member: Member | None, path: str) -> bool:
    return member is not None and member.branch.path.startswith(path)


def _can_activity(user, action: Action, activity: Activity) -> bool:
    branch = activity.branch
    if action in (Action.REVIEW, Action.RATE):
        return is_admin_above(user, branch)
    if action == Action.TAKE_PART:
        return on_roster(user, activity)
    if action == Action.CONTRIBUTE:
        return is_admin_over(user, branch) or attended(user, activity)
    return _admin_or_member_reading(user, action, branch)


def _admin_or_member_reading(user, action: Action, org: Organization) -> bool:
    """The admins over an organization do anything to it (and to what it holds); the
    members of a branch read it."""
    if is_admin_over(user, org):
        return True
    if action == Action.READ:
        member = own_member(user)
        return member is not None and member.branch_id == org.pk
    return False


def require(user, action: Action | str, obj) -> None:
    if not can(user, action, obj):
        raise forbidden() if can(user, Action.READ, obj) else not_found()


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise not_found() from None


def _access(user, queryset: QuerySet, obj_id, action: Action | str, checked=None):
    """The object `obj_id` of `queryset`: not_found unless the user may read it (or
    `checked(obj)`, what it is read with), forbidden unless they may do `action` to it."""
    obj = queryset.filter(pk=_pk(obj_id)).first()
    target = obj if obj is None or checked is None else checked(obj)
    if obj is None or not can(user, Action.READ, target):
        raise not_found()
    require(user, action, target)
    return obj


def access_org(user, org_id, action: Action | str = Action.READ) -> Organization:
    return _access(user, Organization.objects.all(), org_id, action)


def access_member(user, member_id, action: Action | str = Action.READ) -> Member:
    return _access(user, Member.objects.select_related("branch", "user"), member_id, action)


def access_campaign(user, campaign_id, action: Action | str = Action.READ) -> Campaign:
    return _access(user, Campaign.objects.select_related("org", "parent"), campaign_id, action)


def access_activity(user, activity_id, action: Action | str = Action.READ) -> Activity:
    return _access(user, Activity.objects.select_related("branch", "campaign"), activity_id, action)


def access_campaign_attachment(user, attachment_id) -> CampaignAttachment:
    """A campaign's file, read by whoever reads the campaign."""
    attachments = CampaignAttachment.objects.select_related("campaign", "campaign__org")
    return _access(user, attachments, attachment_id, Action.READ, checked=lambda a: a.campaign)


def scoped_activities(user) -> QuerySet[Activity]:
    """Activities the user may read: those of branches in their admin scope, and their own
    branch's."""
    return Activity.objects.filter(_admin_or_own_q(user, "branch__path", branch_id="branch_id"))


def _paths_at_or_above(paths) -> set[str]:
    step = Organization.steplen
    return {p[: step * i] for p in paths for i in range(1, len(p) // step + 1)}


def scoped_campaigns(user) -> QuerySet[Campaign]:
    """Campaigns addressed to the user's scope: issued at or above any organization they
    administer or their branch, or inside their admin subtree."""
    paths = standing_paths(user)
    if not paths:
        return Campaign.objects.none()
    above = _paths_at_or_above(paths)
    return Campaign.objects.filter(Q(org__path__in=above) | admin_scope_q(user, "org__path"))


def scoped_orgs(user) -> QuerySet[Organization]:
    """Organizations the user may read."""
    return Organization.objects.filter(_admin_or_own_q(user, "path", pk="branch_id"))


def scoped_members(user) -> QuerySet[Member]:
    """Members whose records the user may read."""
    return Member.objects.filter(_admin_or_own_q(user, "branch__path", pk="pk"))


# Activity record and interaction (docs/product.md, "The activity record") -------------------------


def on_roster(user, activity: Activity) -> bool:
    """The user's member record is on the activity's roster (themedays.roster's rule)."""
    return roster.is_on_roster(activity, own_member(user))


def _can_comment(user, action: Action, comment: Comment) -> bool:
    """A comment is read with its activity; a hidden one only by the admins of the scope
    and its author (who sees it as hidden). Hiding is for the admins of the scope; liking
    for the roster."""
    activity = comment.activity
    if action == Action.READ:
        if not _can_activity(user, Action.READ, activity):
            return False
        if not comment.is_hidden:
            return True
        if is_admin_over(user, activity.branch):
            return True
        member = own_member(user)
        return member is not None and member.pk == comment.author_id
    if action == Action.TAKE_PART:
        return not comment.is_hidden and on_roster(user, activity)
    if action == Action.CHANGE:
        return is_admin_over(user, activity.branch)
    return False


def attended(user, activity: Activity) -> bool:
    """The user's member record attended the activity (one of attendance's ATTENDED
    statuses)."""
    member = own_member(user)
    return member is not None and (
        AttendanceRecord.objects.filter(
            activity_id=activity.pk, member_id=member.pk, status__in=ATTENDED
        ).exists()
    )


def _can_photo(user, action: Action, photo: Photo) -> bool:
    """A photo is read with its activity; removed by the admins over its branch, and by
    whoever uploaded it (a member, their own)."""
    activity = photo.activity
    if not _can_activity(user, Action.READ, activity):
        return False
    if action == Action.READ:
        return True
    if action == Action.CHANGE:
        return is_admin_over(user, activity.branch) or photo.uploaded_by_id == user.pk
    return False


def access_photo(user, photo_id, action: Action | str = Action.READ) -> Photo:
    """A photo is read with its activity: the branch's members and the admins above it,
    nobody else (the same not_found whether missing or out of scope); acted on by the
    photo's own rules (`_can_photo`)."""
    photos = Photo.objects.select_related("activity", "activity__branch")
    photo = _access(user, photos, photo_id, Action.READ, checked=lambda photo: photo.activity)
    require(user, action, photo)
    return photo


def access_comment(user, comment_id, action: Action | str = Action.READ) -> Comment:
    comments = Comment.objects.select_related("activity", "activity__branch", "author")
    return _access(user, comments, comment_id, action)


def scoped_photos(user) -> QuerySet[Photo]:
    """Photos of the activities the user may read."""
    return Photo.objects.filter(activity__in=scoped_activities(user))


# Attendance (docs/product.md, "Checking in and out") ----------------------------------------------


def _can_leave(user, action: Action, leave: LeaveRequest) -> bool:
    """A leave request is decided by the admins of the branch (and above); the member who
    asked reads it."""
    if is_admin_over(user, leave.activity.branch):
        return True
    if action == Action.READ:
        member = own_member(user)
        return member is not None and member.pk == leave.member_id
    return False


def _can_correction(user, action: Action, correction: Correction) -> bool:
    """Proposed and read by the admins of the branch (and above); approved or refused only
    by an admin of a strict ancestor of the branch."""
    branch = correction.activity.branch
    if action == Action.REVIEW:
        return is_admin_above(user, branch)
    return is_admin_over(user, branch)


def require_not_own_request(user, request: LeaveRequest | Correction) -> None:
    """Nobody decides a request of their own: a branch secretary on the roster does not
    approve their own leave, an admin does not approve a correction they proposed
    (`self_approval`, whatever else they may do)."""
    if isinstance(request, LeaveRequest):
        own, message = request.member.user_id == user.pk, _("不能审批自己的请假申请。")
    elif isinstance(request, Correction):
        own, message = request.proposed_by_id == user.pk, _("不能审批自己提出的考勤更正。")
    else:
        raise TypeError(f"not a request: {type(request).__name__}")
    if own:
        raise DomainError("self_approval", message)


def access_leave(user, leave_id, action: Action | str = Action.READ) -> LeaveRequest:
    leaves = LeaveRequest.objects.select_related("activity", "activity__branch", "member")
    return _access(user, leaves, leave_id, action)


def access_correction(user, correction_id, action: Action | str = Action.READ) -> Correction:
    corrections = Correction.objects.select_related("activity", "activity__branch", "member")
    return _access(user, corrections, correction_id, action)


def scoped_leaves(user) -> QuerySet[LeaveRequest]:
    """Leave requests of branches in the user's admin scope, and the user's own."""
    return LeaveRequest.objects.filter(
        _admin_or_own_q(user, "activity__branch__path", member_id="pk")
    )


def scoped_corrections(user) -> QuerySet[Correction]:
    """Corrections of branches in the user's admin scope."""
    return Correction.objects.filter(admin_scope_q(user, "activity__branch__path"))


# Scoring and supervision (docs/product.md, "Scoring") ---------------------------------------------


def root_orgs(user) -> list[Organization]:
    """The root organizations (the city's organization department) the user administers."""
    step = Organization.steplen
    paths = [p for p in admin_paths(user) if len(p) == step]
    return list(Organization.objects.filter(path__in=paths).order_by("path"))


def require_root_admin(user) -> Organization:
    """Only a root admin sets the scoring policy; returns the (first) root organization."""
    roots = root_orgs(user)
    if not roots:
        raise forbidden()
    return roots[0]


def is_branch_admin(user, branch: Organization) -> bool:
    """Holds an admin role on the branch itself (not only above it): who answers its
    rectifications."""
    if not _authenticated(user):
        return False
    return _admin_grants(user=user, org_id=branch.pk).exists()


def branch_admin_user_ids(branch: Organization) -> list[int]:
    """The branch's own admins (`is_branch_admin`), told of what befalls its plans and
    rectifications."""
    return list(
        _admin_grants(org_id=branch.pk, user__is_active=True)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )


def _can_supervision(user, action: Action, obj) -> bool:
    """A spot check is the business of the admins of its organization; a rectification (and
    a record review) is read by the admins over its branch, answered by the branch's own
    admins, and decided (accepted, reopened; passed, sent back) by its superiors."""
    if isinstance(obj, SpotCheck):
        if action == Action.READ or action == Action.CHANGE:
            return is_admin_over(user, obj.org)
        return False
    branch = obj.branch
    if action == Action.READ:
        return is_admin_over(user, branch)
    if action == Action.ANSWER:
        return is_branch_admin(user, branch)
    if action == Action.SUPERVISE:
        return is_admin_above(user, branch)
    return False


def access_spot_check(user, spot_check_id, action: Action | str = Action.READ) -> SpotCheck:
    return _access(user, SpotCheck.objects.select_related("org"), spot_check_id, action)


def access_rectification(
    user, rectification_id, action: Action | str = Action.READ
) -> Rectification:
    rectifications = Rectification.objects.select_related("branch", "opened_by_org")
    return _access(user, rectifications, rectification_id, action)


def access_rectification_attachment(user, attachment_id) -> RectificationAttachment:
    """A file of a rectification's answer, read by whoever reads the rectification."""
    attachments = RectificationAttachment.objects.select_related(
        "rectification", "rectification__branch"
    )
    return _access(user, attachments, attachment_id, Action.READ, checked=lambda a: a.rectification)


def scoped_spot_checks(user) -> QuerySet[SpotCheck]:
    return SpotCheck.objects.filter(admin_scope_q(user, "org__path"))


def scoped_rectifications(user) -> QuerySet[Rectification]:
    """Rectifications of the branches in the user's admin scope."""
    return Rectification.objects.filter(admin_scope_q(user, "branch__path"))


def may_read_sms_outbox(user) -> bool:
    """The console's SMS outbox shows codes in clear: admins, and only where the demo shows
    it (SMS_DEMO_OUTBOX)."""
    from django.conf import settings

    return bool(settings.SMS_DEMO_OUTBOX) and user.is_authenticated and is_admin(user)


# The rules of the apps that have their own part of this package. Imported last: each part
# builds on the helpers above, and `can()` reaches its rules through these names.
from dangjian.permissions.appraisal import (  # noqa: E402, F401
    APPRAISAL_MODELS,
    _can_appraisal,
    access_appraisal,
    access_appraisal_county,
    access_appraisal_entry,
    scoped_appraisal_counties,
    scoped_appraisal_entries,
    scoped_appraisals,
)
from dangjian.permissions.awards import *  # noqa: E402, F403 (its __all__)
from dangjian.permissions.bulletins import (  # noqa: E402, F401
    Bulletin,
    _can_bulletin,
    access_bulletin,
    scoped_bulletins,
    subtree_admin_user_ids,
)
from dangjian.permissions.learning import (  # noqa: E402, F401
    _can_article,
    _can_package,
    _can_quiz_object,
    access_article,
    access_article_attachment,
    access_attempt,
    access_package,
    access_question,
    access_question_category,
    access_quiz,
    article_reaches,
    articles_reaching,
    packages_reaching,
    quiz_reaches,
    quizzes_reaching,
    require_not_author,
    scoped_articles,
    scoped_packages,
    scoped_question_categories,
    scoped_questions,
    scoped_quizzes,
)
from dangjian.permissions.ledger import (  # noqa: E402, F401
    Ledger,
    _can_ledger,
    access_ledger,
    may_import_history,
    may_request_ledger,
    scoped_ledgers,
)
from dangjian.permissions.orglife import (  # noqa: E402, F401
    ORGLIFE_TYPES,
    _can_orglife,
    access_dues_member,
    access_dues_record,
    access_dues_register,
    access_item_evidence,
    scoped_dues_records,
    scoped_item_evidence,
)
from dangjian.permissions.reviews import (  # noqa: E402, F401
    RecordReview,
    access_record_review,
    answerable_record_reviews,
    scoped_record_reviews,
)
from dangjian.permissions.supervision_monthly import (  # noqa: E402, F401
    MonthlySheet,
    _can_monthly_sheet,
    access_monthly_sheet,
    may_run_monthly_supervision,
    own_admin_user_ids,
    scoped_monthly_sheets,
)
from dangjian.permissions.volunteering import (  # noqa: E402, F401
    _can_volunteering,
    access_claim,
    access_figures_org,
    access_hours_entry,
    access_member_hours,
    access_order,
    access_order_photo,
    access_service_category,
    access_volunteer_profile,
    is_requester,
    may_read_hours,
    may_see_decline_reason,
    order_admin_user_ids,
    order_reaches_volunteer,
    own_citizen,
    scoped_citizens,
    scoped_orders,
    scoped_service_categories,
    scoped_volunteer_profiles,
    volunteer_user_ids,
)
