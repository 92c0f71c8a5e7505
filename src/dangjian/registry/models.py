"""The unified Party-building database: the organization tree, members, accounts and roles.

Rules live in services.py; these classes hold data, constraints and query helpers only.
"""

import hashlib
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from dangjian.registry import idcard


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")


class Sector(models.TextChoices):
    RURAL = "rural", _("农村")
    COMMUNITY = "community", _("社区")
    GOVERNMENT = "government", _("机关")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    PRIVATE_ENTERPRISE = "private_enterprise", _("非公企业")
    SCHOOL = "school", _("学校")
    SOCIAL_ORGANIZATION = "social_organization", _("社会组织")
    OTHER = "other", _("其他")


# The Chinese names are data, not display text: imports and the API name sectors by them,
# whatever language the page is shown in.
SECTOR_NAMES: dict[str, str] = {
    Sector.RURAL: "农村",
    Sector.COMMUNITY: "社区",
    Sector.GOVERNMENT: "机关",
    Sector.PUBLIC_INSTITUTION: "事业单位",
    Sector.STATE_ENTERPRISE: "国有企业",
    Sector.PRIVATE_ENTERPRISE: "非公企业",
    Sector.SCHOOL: "学校",
    Sector.SOCIAL_ORGANIZATION: "社会组织",
    Sector.OTHER: "其他",
}
SECTOR_BY_NAME: dict[str, str] = {name: code for code, name in SECTOR_NAMES.items()}
KIND_NAMES: dict[str, str] = {
    OrgKind.COMMITTEE: "党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
}
KIND_BY_NAME: dict[str, str] = {name: code for code, name in KIND_NAMES.items()}


def sector_from_input(value: str) -> str | None:
    """Accept a sector's Chinese name or its code; None if it is neither."""
    value = (value or "").strip()
    if value in SECTOR_BY_NAME:
        return SECTOR_BY_NAME[value]
    if value in Sector.values:
        return value
    return None


class OrganizationQuerySet(MP_NodeQuerySet):
    def subtree_of(self, path: str):
        # Materialized path: a prefix match on an indexed column (varchar_pattern_ops on
        # PostgreSQL), never a recursive walk in Python.
        return self.filter(path__startswith=path)

    def branches(self):
        return self.filter(kind=OrgKind.BRANCH)


class OrganizationManager(MP_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")


class Organization(MP_Node):
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("组织编码"), max_length=32, unique=True, null=True)
    kind = models.CharField(_("组织类别"), max_length=16, choices=OrgKind.choices)
    sector = models.CharField(_("所属领域"), max_length=24, choices=Sector.choices)
    category = models.CharField(_("分类"), max_length=50, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationManager()

    class Meta:
        indexes = [
            models.Index(fields=["kind", "sector"]),
            models.Index(fields=["name"]),
            models.Index(fields=["depth"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OrgKind.values), name="org_kind_valid"),
            models.CheckConstraint(condition=Q(sector__in=Sector.values), name="org_sector_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind == OrgKind.BRANCH

    @property
    def sector_name(self) -> str:
        return SECTOR_NAMES.get(self.sector, self.sector)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    def ancestor_paths(self) -> list[str]:
        step = self.steplen
        return [self.path[: step * i] for i in range(1, self.depth)]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, phone):
        return self.get(phone=phone)


class User(AbstractBaseUser):
    """An account: a person who logs in with phone + password. Members, admins who are not
    members (the organization department's staff) and, later, citizens all have one."""

    phone = models.CharField(_("手机号"), max_length=11, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Raised by registry.accounts.revoke_all_credentials: every session signed with an
    # older value stops being valid (see get_session_auth_hash).
    credentials_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__regex=r"^1[3-9][0-9]{9}$"), name="user_phone_mainland_mobile"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.phone})"

    # Django checks a session's stored hash against this on every request, so mixing the
    # credentials version in ends every session of the account when the version is raised.
    # Version 0 keeps Django's own hash: sessions made before the field existed stay valid.
    def get_session_auth_hash(self) -> str:
        return self._versioned(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self):
        for value in super().get_session_auth_fallback_hash():
            yield self._versioned(value)

    def _versioned(self, value: str) -> str:
        if not self.credentials_version:
            return value
        return salted_hmac(
            "dangjian.registry.User.credentials_version",
            f"{value}:{self.credentials_version}",
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    ADMIN = "admin", _("管理员")


class RoleGrant(models.Model):
    """A role held on an organization; it reaches that organization's whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org", "role"], name="rolegrant_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.org}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token of {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """An API key as a request presented it, not checked yet: its digest, as ApiToken
    stores it, never the key itself. What reads with it checks it in the same statement (an
    unexpired token of an active account): the check-in's facts (attendance.checkin)."""

    digest: str

    @classmethod
    def presented(cls, key: str) -> "ApiKey":
        return cls(ApiToken.hash_key(key))


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class MemberStatus(models.TextChoices):
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("正式党员")


class MemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def in_subtree(self, path: str):
        return self.filter(branch__path__startswith=path)

    def by_id_number(self, value: str):
        from dangjian.registry import crypto

        return self.filter(id_number_hash=crypto.keyed_hash(idcard.normalize(value)))


class Member(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="member")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    # The ID-card number is never stored in clear: Fernet ciphertext, a keyed hash for exact
    # look-up and uniqueness, and the masked form for display.
    id_number_encrypted = models.TextField()
    id_number_hash = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("身份证号"), max_length=18)
    join_date = models.DateField(_("入党日期"))
    full_date = models.DateField(_("转正日期"), null=True, blank=True)
    status = models.CharField(_("党员类型"), max_length=16, choices=MemberStatus.choices)
    is_flowing = models.BooleanField(_("流动党员"), default=False)
    flowing_location = models.CharField(_("流动去向"), max_length=200, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)
    left_at = models.DateField(_("离开日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["branch", "is_active"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="probationary", full_date__isnull=True)
                    | Q(status="full", full_date__isnull=False)
                ),
                name="member_full_date_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(full_date__isnull=True) | Q(full_date__gte=models.F("join_date")),
                name="member_full_after_join",
            ),
            models.CheckConstraint(
                condition=Q(join_date__gt=models.F("birth_date")), name="member_join_after_birth"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, left_at__isnull=True)
                | Q(is_active=False, left_at__isnull=False),
                name="member_left_at_matches_active",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone(self) -> str:
        return self.user.phone

    def reveal_id_number(self) -> str:
        """Decrypt. Callers must have checked `view_id_number` and audit the reveal."""
        from dangjian.registry import crypto

        return crypto.decrypt(self.id_number_encrypted)


class Transfer(models.Model):
    """A member moving between branches; kept forever so history can be told."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers")
    from_branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    to_branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    transferred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["member", "transferred_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_branch=models.F("to_branch")), name="transfer_changes_branch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.from_branch} -> {self.to_branch}"


class WechatBinding(models.Model):
    """An account's WeChat identity in the official account (its `openid`): one a side.
    Signing in inside WeChat finds the account by it; template messages go to it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="wechat_binding")
    openid = models.CharField(max_length=64, unique=True)
    bound_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.openid}"
