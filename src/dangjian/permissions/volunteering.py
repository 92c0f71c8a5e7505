"""Who may do what in the volunteer cloud call (issue 20). Part of dangjian.permissions,
which re-exports every name here: callers import the package, never this module.

Citizens hold no member record and no admin role, so every rule of the package refuses
them; here they read their own account and orders only."""

from django.db.models import Q, QuerySet

from dangjian.permissions import (
    Action,
    _access,
    _authenticated,
    _paths_at_or_above,
    access_org,
    admin_scope_q,
    branch_admin_user_ids,
    forbidden,
    is_admin_over,
    not_found,
    own_member,
    reviewer_user_ids,
)
from dangjian.registry.models import Member, Organization
from dangjian.volunteering import rules as volunteering
from dangjian.volunteering.models import (
    Citizen,
    Claim,
    HoursEntry,
    Order,
    OrderPhoto,
    ServiceCategory,
    VolunteerProfile,
)


def own_citizen(user) -> Citizen | None:
    """The user's citizen record, if any. Cached on the user object."""
    if not _authenticated(user):
        return None
    if not hasattr(user, "_dj_citizen"):
        user._dj_citizen = Citizen.objects.select_related("community").filter(user=user).first()
    return user._dj_citizen


def _volunteer_paths(user) -> tuple[str | None, str | None]:
    """The member's branch path and the path of the community they report to (双报到).
    Cached on the user object for the request."""
    cached = getattr(user, "_dj_volunteer_paths", None)
    if cached is None:
        member = own_member(user)
        if member is None:
            cached = (None, None)
        else:
            community = (
                VolunteerProfile.objects.filter(member=member)
                .values_list("community__path", flat=True)
                .first()
            )
            cached = (member.branch.path, community)
        user._dj_volunteer_paths = cached
    return cached


def order_reaches_volunteer(user, order: Order) -> bool:
    """A published order is seen, and may be claimed, by the members it reaches
    (volunteering.rules.reaches)."""
    if order.state not in volunteering.VISIBLE_TO_VOLUNTEERS:
        return False
    branch, community = _volunteer_paths(user)
    return volunteering.reaches(order.reach.path, branch_path=branch, community_path=community)


def is_requester(user, order: Order) -> bool:
    citizen = own_citizen(user)
    return citizen is not None and order.requester_id == citizen.pk


def _is_claimant(user, order: Order) -> bool:
    member = own_member(user)
    return member is not None and order.claims.filter(member=member).exists()


def _can_volunteering(user, action: Action, obj) -> bool:
    """Orders: the admins over the order's community review, publish, decline and record;
    the requester reads their own (and cancels, confirms, rates: services check
    `is_requester`); members it reaches read it and claim it (TAKE_PART), and whoever
    claimed it keeps reading it. A claim is its member's to act on; the admins over the
    community and the requester read it. The menu is kept by the admins over its
    organization and read by every signed-in user (citizens order from it). A volunteer
    profile and hours are the member's own to read, and their admins'."""
    if isinstance(obj, Order):
        # The members it reaches first: they are who claims at the peak, and their answer
        # needs no reading of admin roles (either answer grants the same).
        open_for_it = action == Action.READ or (
            action == Action.TAKE_PART and obj.state in volunteering.OPEN_FOR_CLAIMS
        )
        if open_for_it and order_reaches_volunteer(user, obj):
            return True
        if is_admin_over(user, obj.community):
            return True
        return action == Action.READ and (is_requester(user, obj) or _is_claimant(user, obj))
    if isinstance(obj, Claim):
        if obj.member.user_id == user.pk and obj.member.is_active:
            return action in (Action.READ, Action.TAKE_PART)
        if is_admin_over(user, obj.order.community):
            return True
        return action == Action.READ and is_requester(user, obj.order)
    if isinstance(obj, Citizen):
        return obj.user_id == user.pk or is_admin_over(user, obj.community)
    if isinstance(obj, ServiceCategory):
        return action == Action.READ or is_admin_over(user, obj.org)
    member = obj.member
    if member.user_id == user.pk and member.is_active:
        return action == Action.READ or isinstance(obj, VolunteerProfile)
    if isinstance(obj, HoursEntry) and is_admin_over(user, obj.org):
        return True
    community = getattr(obj, "community", None)
    return is_admin_over(user, member.branch) or (
        community is not None and is_admin_over(user, community)
    )


def access_order(user, order_id, action: Action | str = Action.READ) -> Order:
    orders = Order.objects.select_related("community", "reach", "category", "requester")
    return _access(user, orders, order_id, action)


def access_claim(user, claim_id, action: Action | str = Action.READ) -> Claim:
    claims = Claim.objects.select_related(
        "order", "order__community", "order__reach", "member", "member__branch"
    )
    return _access(user, claims, claim_id, action)


def access_service_category(
    user, category_id, action: Action | str = Action.READ
) -> ServiceCategory:
    return _access(user, ServiceCategory.objects.select_related("org"), category_id, action)


def _profile_of(member: Member) -> VolunteerProfile:
    try:
        return member.volunteer_profile
    except VolunteerProfile.DoesNotExist:
        # Not made yet: an empty one, not saved, that the rules read like any other.
        member.volunteer_profile = VolunteerProfile(member=member, skills=[], availability="")
        return member.volunteer_profile


def access_volunteer_profile(
    user, member_id, action: Action | str = Action.READ
) -> VolunteerProfile:
    """The volunteer profile of member `member_id`: the same not_found whether the member
    is missing or out of scope."""
    members = Member.objects.select_related("branch", "user", "volunteer_profile__community")
    return _profile_of(_access(user, members, member_id, action, checked=_profile_of))


def scoped_orders(user) -> QuerySet[Order]:
    """Orders the user may read: those of the communities they administer, their own as a
    requester, the published ones that reach them as a member, and those they claimed."""
    if not _authenticated(user):
        return Order.objects.none()
    q = admin_scope_q(user, "community__path")
    citizen = own_citizen(user)
    if citizen is not None:
        q |= Q(requester=citizen)
    branch, community = _volunteer_paths(user)
    if branch is not None:
        above = _paths_at_or_above([p for p in (branch, community) if p])
        q |= Q(state__in=volunteering.VISIBLE_TO_VOLUNTEERS, reach__path__in=above)
        q |= Q(pk__in=Claim.objects.filter(member=own_member(user)).values("order_id"))
    return Order.objects.filter(q)


def scoped_service_categories(user) -> QuerySet[ServiceCategory]:
    """The menu entries the user keeps: those of the organizations they administer."""
    return ServiceCategory.objects.filter(admin_scope_q(user, "org__path"))


def scoped_volunteer_profiles(user) -> QuerySet[VolunteerProfile]:
    """The specialty database of the admin's scope: members of their branches and members
    reporting to their communities."""
    return VolunteerProfile.objects.filter(
        admin_scope_q(user, "member__branch__path") | admin_scope_q(user, "community__path")
    )


def scoped_citizens(user) -> QuerySet[Citizen]:
    return Citizen.objects.filter(admin_scope_q(user, "community__path"))


def access_figures_org(user, org_id) -> Organization:
    """An organization whose volunteer figures the user reads: its admins' (and above) only;
    a member who reads their own branch gets forbidden, anyone else not_found."""
    org = access_org(user, org_id)
    if not is_admin_over(user, org):
        raise forbidden()
    return org


def may_see_decline_reason(user, order: Order) -> bool:
    """A declined order's reason is the requester's and their reviewers' only: never shown
    to the members it reached or anyone else who may read the order."""
    return is_requester(user, order) or is_admin_over(user, order.community)


def order_admin_user_ids(org) -> list[int]:
    """Who is told of what befalls the orders of `org` (a community, or the town or county
    an order escalated to): its own admins, or where it has none the nearest organization
    above it that has some."""
    return branch_admin_user_ids(org) or reviewer_user_ids(org)


def volunteer_user_ids(reach_path: str) -> QuerySet:
    """The accounts of the active members a published order reaching `reach_path` reaches
    (volunteering.rules.reaches): by their branch, or the community they report to."""
    return (
        Member.objects.filter(is_active=True, user__is_active=True)
        .filter(
            Q(branch__path__startswith=reach_path)
            | Q(volunteer_profile__community__path__startswith=reach_path)
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def access_order_photo(user, photo_id) -> OrderPhoto:
    """A photo of an order, to whoever may read the order."""
    photos = OrderPhoto.objects.select_related(
        "order", "order__community", "order__reach", "order__requester"
    )
    return _access(user, photos, photo_id, Action.READ, checked=lambda photo: photo.order)


# Volunteer hours ---------------------------------------------------------------------------


def may_read_hours(user, member: Member) -> bool:
    """A member's hours are theirs to read, and their admins': over their branch, over the
    community they report to, or over an organization that recorded some of them."""
    if member.user_id == getattr(user, "pk", None) and member.is_active:
        return True
    if is_admin_over(user, member.branch):
        return True
    profile = getattr(member, "volunteer_profile", None)
    if profile is not None and profile.community_id and is_admin_over(user, profile.community):
        return True
    recorded_here = admin_scope_q(user, "org__path")
    return HoursEntry.objects.filter(recorded_here, member=member).exists()


def access_member_hours(user, member_id) -> Member:
    """The member whose hours `user` may read (`may_read_hours`), else `not_found`."""
    try:
        member = Member.objects.select_related("branch").get(pk=int(member_id))
    except (Member.DoesNotExist, TypeError, ValueError):
        raise not_found() from None
    if not may_read_hours(user, member):
        raise not_found()
    return member


def access_hours_entry(user, entry_id) -> HoursEntry:
    """A ledger entry of a member whose hours `user` may read, else `not_found`."""
    try:
        entry = HoursEntry.objects.select_related("member", "member__branch", "org").get(
            pk=int(entry_id)
        )
    except (HoursEntry.DoesNotExist, TypeError, ValueError):
        raise not_found() from None
    if not may_read_hours(user, entry.member):
        raise not_found()
    return entry
