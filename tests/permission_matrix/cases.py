"""What every table of the permission matrix shares: the expected answers, the roles that
ask, how a table becomes its cases (matrix_cases), and how a refusal is checked.

A table has a row per role (per role and object, where it has an object column) and a
column per action; each answer is tried through the API and through the console's pages,
or, in the tables that try a role's whole row in one case, as its test says.
"""

from collections.abc import Collection, Mapping
from enum import Enum
from urllib.parse import urlsplit

import pytest
from django.urls import reverse


class Expect(Enum):
    ALLOW = "allow"
    NOT_FOUND = "not_found"  # out of scope: 404, existence not revealed
    FORBIDDEN = "forbidden"  # readable, but the action is not allowed: 403
    LOGIN = "login"  # anonymous: API 401 `unauthenticated`, pages 302 to /login/


A, N, F, L = Expect.ALLOW, Expect.NOT_FOUND, Expect.FORBIDDEN, Expect.LOGIN
_ = None  # the action does not apply to the object

# The actors, all from the `world` fixture. The member is a plain member of branch a (the
# flowing one, so that member_a is a neighbour in the same branch rather than themself).
ROLES = {
    "city_admin": lambda w: w.city_admin,
    "county_admin": lambda w: w.a.admin,
    "branch_admin": lambda w: w.a.branch_admin,
    "member": lambda w: w.a.flowing.user,
    "outsider": lambda w: w.outsider,
    "anonymous": lambda w: None,
}

# The actors of attendance's and learning's tables (their objects are branch a's and county
# a's): besides the roles above, the other county's admin and a member of the other
# county's branch, and branch a's settled member as the member.
WIDER_ROLES = {
    "city_admin": lambda w: w.city_admin,
    "county_admin": lambda w: w.a.admin,
    "other_county_admin": lambda w: w.b.admin,
    "branch_admin": lambda w: w.a.branch_admin,
    "member": lambda w: w.a.member.user,
    "other_branch_member": lambda w: w.b.member.user,
    "outsider": lambda w: w.outsider,
    "anonymous": lambda w: None,
}

# The console is closed to logged-in users without an admin role: 403 on every page, even
# for what the API would let them read (members use the mobile pages for that).
PAGE_OVERRIDES = {"member": F, "outsider": F}

INTERFACES = ("api", "page")


def row_key(row: tuple, actions: tuple[str, ...]) -> tuple:
    """The row's object column(s), between its role and its answers: () if it has none."""
    return row[1 : len(row) - len(actions)]


def matrix_cases(
    matrix: list[tuple],
    actions: tuple[str, ...],
    interfaces: tuple[str, ...] = INTERFACES,
    *,
    subject: str | None = None,
    page_actions: Collection[str] | None = None,
    phone_actions: Collection[str] = (),
    roles: Mapping[str, object] = ROLES,
    by_row: bool = False,
) -> list:
    """Every role × action × interface of the table as `pytest.param(role, *objects,
    action, interface, expect)`, with the id `role[-subject][-objects]-action-interface`.

    An answer of `_` (the action does not apply) makes no case; an action not in
    `page_actions` (when given) has no page case. An action's page is the console's, closed
    to users without an admin role (PAGE_OVERRIDES), but for the `phone_actions`: their
    page is on the phone and answers as the API does.

    `by_row` makes one case of each row instead, `pytest.param(role, *objects, answers)`
    with the id `role[-subject][-objects]` and `answers` the row's {action: answer} as the
    table gives them (its test tries them in turn, each through the interface it names).
    Every row's role must be one of `roles`.
    """
    cases = []
    for row in matrix:
        role, key = row[0], row_key(row, actions)
        assert role in roles, role
        if by_row:
            answers = dict(zip(actions, row[1 + len(key) :], strict=True))
            answers = {action: answer for action, answer in answers.items() if answer is not None}
            name = "-".join((role, *([subject] if subject else []), *key))
            cases.append(pytest.param(role, *key, answers, id=name))
            continue
        for action, answer in zip(actions, row[1 + len(key) :], strict=True):
            if answer is None:
                continue
            for interface in interfaces:
                expect = answer
                if interface == "page":
                    if page_actions is not None and action not in page_actions:
                        continue
                    if action not in phone_actions:
                        expect = PAGE_OVERRIDES.get(role, answer)
                name = "-".join((role, *([subject] if subject else []), *key, action, interface))
                cases.append(pytest.param(role, *key, action, interface, expect, id=name))
    return cases


API_REFUSALS = {
    Expect.NOT_FOUND: (404, "not_found"),
    Expect.FORBIDDEN: (403, "forbidden"),
    Expect.LOGIN: (401, "unauthenticated"),
}
PAGE_REFUSALS = {Expect.NOT_FOUND: 404, Expect.FORBIDDEN: 403}


def assert_refused(resp, interface: str, expect: Expect, *, forbidden_code: str = "") -> None:
    """The refusal the table expects: through the API its status and code (a 403's code is
    `forbidden_code` where the action has its own reason); through a page 404 or 403, or
    for an anonymous caller a redirect to the login page."""
    if interface == "api":
        status, code = API_REFUSALS[expect]
        if expect is Expect.FORBIDDEN and forbidden_code:
            code = forbidden_code
        assert (resp.status_code, resp.json()["code"]) == (status, code), resp.content
    elif expect is Expect.LOGIN:
        assert resp.status_code == 302
        assert urlsplit(resp["Location"]).path == reverse("portal:login")
    else:
        assert resp.status_code == PAGE_REFUSALS[expect]
