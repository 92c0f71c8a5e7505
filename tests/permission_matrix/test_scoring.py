"""The permission matrix of the scoring policy: who reads its versions, who publishes one."""

import pytest
from django.urls import reverse

from dangjian.scoring.models import ScoringPolicy
from tests.permission_matrix.cases import ROLES, A, Expect, F, L, assert_refused, matrix_cases

pytestmark = pytest.mark.django_db


# The scoring policy -----------------------------------------------------------------------
# Not an object in anyone's scope but the city's rule: every admin reads its versions (each
# score names the one it used); only an admin of the root organization publishes one.

# fmt: off
POLICY_MATRIX = [
    # role            read  publish
    ("city_admin",    A,    A),
    ("county_admin",  A,    F),
    ("branch_admin",  A,    F),
    ("member",        F,    F),
    ("outsider",      F,    F),
    ("anonymous",     L,    L),
]
# fmt: on
POLICY_ACTIONS = ("read", "publish")
POLICY_WEIGHTS = {"sign_in": 60, "flowing_like": 10, "upload": 10, "comment": 10, "superior": 10}


@pytest.mark.parametrize(
    "role, action, interface, expect", matrix_cases(POLICY_MATRIX, POLICY_ACTIONS, subject="policy")
)
def test_scoring_policy_permission_matrix(world, api, page, role, action, interface, expect):
    user = ROLES[role](world)
    url = reverse("console:dashboard_policy")
    if interface == "api":
        client = api(user)
        if action == "read":
            resp = client.get("/scoring/policies")
        else:
            resp = client.post("/scoring/policies", {"weights": POLICY_WEIGHTS})
    else:
        client = page(user)
        if action == "read":
            resp = client.get(url)
        else:
            data = {f"weight_{k}": v for k, v in POLICY_WEIGHTS.items()}
            data.update(upload_photos_target=4, upload_summary_chars=400, upload_photos_share=50)
            resp = client.post(url, data)
    if expect is Expect.ALLOW:
        assert resp.status_code in (200, 201, 302), resp.content
        if action == "publish":
            assert ScoringPolicy.objects.get().version == 2
        return
    assert_refused(resp, interface, expect)
    assert not ScoringPolicy.objects.exists()
