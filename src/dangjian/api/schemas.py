"""The API's shared schemas. An output schema reads its fields from the model instance
that a view returns (django-ninja's from-attributes validation): `Field(alias=...)` names
the attribute where the API's name differs, a `resolve_<field>` computes the rest. So each
field is declared once, and a view returns the instance (or a queryset to paginate)."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.urls import reverse
from ninja import Schema
from pydantic import BeforeValidator, Field, field_validator

from dangjian.core import coords
from dangjian.registry.models import SECTOR_NAMES, Organization, RoleGrant, sector_from_input

Kind = Literal["committee", "general_branch", "branch"]
# An account (uploader, author of a change, rater) shown by its name; null once it is gone.
UserName = Annotated[str | None, BeforeValidator(lambda user: user.name if user else None)]


def coord_system_field(default: str | None = coords.WGS84):
    """The coordinate system of a body's latitude and longitude. Any text passes the
    schema, so that an unknown system is answered by the domain's `invalid_coord_system`
    rather than a generic validation error; the allowed values are documented."""
    return Field(
        default,
        max_length=16,
        description="The system of latitude/longitude: wgs84 (GPS, browsers), gcj02 "
        "(Amap, Tencent, WeChat), bd09 (Baidu); stored and answered as wgs84. Another "
        "value: 422 invalid_coord_system",
        # An edit's null (unchanged) is one of the values it may send.
        json_schema_extra={"enum": [*coords.SYSTEMS, *([None] if default is None else [])]},
    )


class ErrorOut(Schema):
    code: str
    message: str


class AttachmentOut(Schema):
    """A file attached to a campaign or to a rectification's event."""

    id: int
    name: str
    content_type: str
    size: int
    url: str = Field(
        description="Downloads the file (bearer token; the same scope as what it is attached to)"
    )

    @staticmethod
    def resolve_url(attachment) -> str:
        kind = "campaign" if hasattr(attachment, "campaign_id") else "rectification"
        return reverse(f"api:{kind}_attachment_download", args=[attachment.pk])


class TokenIn(Schema):
    phone: str = Field(max_length=20)
    password: str = Field(max_length=200)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class OrgOut(Schema):
    id: int
    parent_id: int | None
    name: str
    code: str | None
    kind: Kind
    sector: str = Field(description="The sector's Chinese name, e.g. 农村")
    sector_code: str
    category: str
    depth: int
    children_count: int
    is_active: bool

    @staticmethod
    def from_org(org: Organization, parent_id: int | None) -> "OrgOut":
        return OrgOut(
            id=org.pk,
            parent_id=parent_id,
            name=org.name,
            code=org.code,
            kind=org.kind,
            sector=SECTOR_NAMES.get(org.sector, org.sector),
            sector_code=org.sector,
            category=org.category,
            depth=org.depth,
            children_count=org.numchild,
            is_active=org.is_active,
        )


def _sector(value: str | None) -> str | None:
    if value is None:
        return None
    code = sector_from_input(value)
    if code is None:
        raise ValueError("sector must be one of: " + ", ".join(SECTOR_NAMES.values()))
    return code


class OrgIn(Schema):
    parent_id: int
    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    sector: str = Field(description="Chinese name (农村, 社区, 机关, …) or code")
    category: str = Field("", max_length=50)
    code: str | None = Field(None, max_length=32)

    _check_sector = field_validator("sector")(lambda cls, v: _sector(v))


class OrgPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Kind | None = None
    sector: str | None = None
    category: str | None = Field(None, max_length=50)
    code: str | None = Field(None, max_length=32)
    parent_id: int | None = Field(None, description="Move the organization under this parent")

    _check_sector = field_validator("sector")(lambda cls, v: _sector(v))


class MemberOut(Schema):
    id: int
    branch_id: int
    branch_name: str = Field(alias="branch.name")
    name: str
    gender: Literal["male", "female"]
    birth_date: date
    id_number: str = Field(alias="id_number_masked", description="Masked, e.g. 6107**********1234")
    phone: str = Field(alias="user.phone")
    join_date: date
    full_date: date | None
    status: Literal["full", "probationary"]
    flowing: bool = Field(alias="is_flowing")
    flowing_location: str
    is_active: bool
    left_at: date | None


class MemberIn(Schema):
    branch_id: int
    name: str = Field(min_length=1, max_length=50)
    gender: Literal["male", "female"]
    birth_date: date
    id_number: str = Field(max_length=32)
    phone: str = Field(max_length=20)
    join_date: date
    full_date: date | None = None
    status: Literal["full", "probationary"]
    flowing: bool = False
    flowing_location: str = Field("", max_length=200)


class MemberPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    gender: Literal["male", "female"] | None = None
    birth_date: date | None = None
    id_number: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=20)
    join_date: date | None = None
    full_date: date | None = None
    status: Literal["full", "probationary"] | None = None
    flowing: bool | None = None
    flowing_location: str | None = Field(None, max_length=200)


class TransferIn(Schema):
    branch_id: int
    reason: str = Field("", max_length=200)


class LeaveIn(Schema):
    left_at: date | None = None
    reason: str = Field("", max_length=200)


class PasswordIn(Schema):
    password: str = Field(min_length=1, max_length=200)


class IdNumberOut(Schema):
    id_number: str


class RoleOut(Schema):
    org_id: int
    role: str


class UserOut(Schema):
    id: int
    phone: str
    name: str


class MeOut(Schema):
    user: UserOut
    member: MemberOut | None
    roles: list[RoleOut]


class GrantIn(Schema):
    member_id: int


class GrantOut(Schema):
    org_id: int
    user_id: int
    member_id: int | None
    name: str = Field(alias="user.name")
    role: str

    @staticmethod
    def resolve_member_id(grant: RoleGrant) -> int | None:
        member = getattr(grant.user, "member", None)
        return member.pk if member else None


class AuditOut(Schema):
    id: int
    actor: str = Field(alias="actor_label")
    action: str
    object_type: str
    object_id: str
    object_label: str
    org_id: int | None
    before: dict | None
    after: dict | None
    created_at: datetime
