"""The shared world of the tests: one city, two counties, each with an admin, a branch
with its admin and members, and an outsider who belongs to nothing (alice/bob/charlie)."""

from dataclasses import dataclass

import pytest
from django.test import Client

from dangjian.registry import services
from dangjian.registry.models import Member, Organization, OrgKind, Sector, User
from tests.factories import PASSWORD, make_admin, make_member, make_org

# Tests that run as production does, outside a test transaction, and may reach every
# connection the application uses (core.db.hot_connection's as well as the default one).
COMMITTED = pytest.mark.django_db(transaction=True, databases="__all__")


@dataclass
class County:
    org: Organization
    admin: User
    town: Organization
    branch: Organization
    branch_admin: User
    member: Member
    flowing: Member
    other_branch: Organization


@dataclass
class World:
    city: Organization
    city_admin: User
    a: County
    b: County
    outsider: User


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _county(root_admin, city, name: str, letter: str) -> County:
    county = make_org(
        root_admin, city, name, kind=OrgKind.COMMITTEE, sector=Sector.GOVERNMENT, code=f"C-{letter}"
    )
    town = make_org(
        root_admin,
        county,
        f"{name}某镇党委",
        kind=OrgKind.COMMITTEE,
        sector=Sector.RURAL,
        code=f"T-{letter}",
    )
    branch = make_org(root_admin, town, f"{name}某村党支部", code=f"B-{letter}1", category="五星")
    other = make_org(
        root_admin, town, f"{name}某社区党支部", sector=Sector.COMMUNITY, code=f"B-{letter}2"
    )
    admin = make_admin(root_admin, county, f"{name}管理员")
    branch_admin = make_admin(root_admin, branch, f"{name}支部书记")
    member = make_member(root_admin, branch, name=f"{name}党员")
    flowing = make_member(
        root_admin, branch, name=f"{name}流动党员", is_flowing=True, flowing_location="广东省深圳市"
    )
    return County(county, admin, town, branch, branch_admin, member, flowing, other)


@pytest.fixture
def world(db) -> World:
    grant = services.bootstrap_city(
        name="汉中市", phone="13900000001", password=PASSWORD, admin_name="市委组织部管理员"
    )
    root_admin, city = grant.user, grant.org
    a = _county(root_admin, city, "汉台区", "A")
    b = _county(root_admin, city, "南郑区", "B")
    outsider = User.objects.create_user(phone="13600000009", name="局外人", password=PASSWORD)
    return World(city, root_admin, a, b, outsider)


def token_for(user: User) -> str:
    key, _ = services.issue_api_token(user=user)
    return key


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1/ with a bearer token (or none)."""

    def __init__(self, user: User | None = None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.headers_ = {"Authorization": f"Bearer {token_for(user)}"} if user else {}

    def _call(self, method, path, data=None, **kw):
        fn = getattr(super(), method)
        if data is not None and method in ("post", "put", "patch"):
            kw.setdefault("content_type", "application/json")
        return fn(f"/api/v1{path}", data, headers={**self.headers_, **kw.pop("headers", {})}, **kw)

    def get(self, path, data=None, **kw):
        return self._call("get", path, data, **kw)

    def post(self, path, data=None, **kw):
        return self._call("post", path, data if data is not None else {}, **kw)

    def patch(self, path, data=None, **kw):
        return self._call("patch", path, data, **kw)

    def delete(self, path, data=None, **kw):
        return self._call("delete", path, data, **kw)


@pytest.fixture
def api():
    """`api(user)` gives a JSON client authenticated as that user; `api(None)` anonymous."""
    return ApiClient


@pytest.fixture
def page():
    """`page(user)` gives a logged-in page client; `page(None)` anonymous."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
