"""GET and POST /scoring/policies: the versions newest first, a root admin publishes one,
the scores computed after it carry its version, and everyone else is refused."""

from datetime import datetime, timedelta

import pytest
import time_machine

from dangjian.scoring import services
from dangjian.scoring.models import ScoringPolicy
from tests.console.test_scoring_policy import NEW_WEIGHTS, january_activity
from tests.scoring.conftest import NOW, SHANGHAI, clock, scored  # noqa: F401

pytestmark = pytest.mark.django_db
PATH = "/scoring/policies"


@pytest.fixture(autouse=True)
def _long_tokens(settings):
    settings.API_TOKEN_TTL = timedelta(days=60)


BUILT_IN = {
    "version": 1,
    "weights": {"sign_in": 70, "flowing_like": 10, "upload": 10, "comment": 5, "superior": 5},
    "upload_photos_target": 4,
    "upload_summary_chars": 400,
    "upload_photos_share": 50,
    "note": "",
    "created_by": None,
    "effective_from": None,
}


def test_admins_list_the_versions_with_the_built_in_one(world, api, clock):  # noqa: F811
    for user in (world.a.admin, world.a.branch_admin, world.city_admin):
        resp = api(user).get(PATH)
        assert resp.status_code == 200, resp.content
        assert resp.json() == {"items": [{**BUILT_IN, "is_current": True}], "count": 1}


def test_a_root_admin_publishes_a_version_that_later_scores_carry(world, api, scored, clock):  # noqa: F811
    client = api(world.city_admin)
    december = client.get(f"/activities/{scored.activity.pk}/score").json()
    assert (december["policy_version"], december["total"]) == (1, 55.67)

    resp = client.post(PATH, {"weights": NEW_WEIGHTS, "note": "加大互动权重"})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert datetime.fromisoformat(body.pop("effective_from")) == NOW
    assert body == {
        "version": 2,
        "weights": NEW_WEIGHTS,
        # Left out: the upload rule of the version in force.
        "upload_photos_target": 4,
        "upload_summary_chars": 400,
        "upload_photos_share": 50,
        "note": "加大互动权重",
        "created_by": world.city_admin.name,
        "is_current": True,
    }
    listed = api(world.a.admin).get(PATH).json()
    assert [(v["version"], v["is_current"]) for v in listed["items"]] == [(2, True), (1, False)]

    # December closed before v2 and keeps v1; January closes after it and gets v2.
    assert client.get(f"/activities/{scored.activity.pk}/score").json()["policy_version"] == 1
    services.recompute_activity(scored.activity.pk)
    assert client.get(f"/activities/{scored.activity.pk}/score").json()["policy_version"] == 1
    with time_machine.travel(datetime(2027, 1, 10, 13, tzinfo=SHANGHAI), tick=False):
        january = january_activity(world)
        body = client.get(f"/activities/{january.pk}/score").json()
    assert (body["policy_version"], body["total"]) == (2, 56.33)


def test_the_upload_rule_can_be_changed_with_the_weights(world, api, clock):  # noqa: F811
    resp = api(world.city_admin).post(
        PATH,
        {
            "weights": NEW_WEIGHTS,
            "upload_photos_target": 6,
            "upload_summary_chars": 800,
            "upload_photos_share": 40,
        },
    )
    assert resp.status_code == 201, resp.content
    policy = ScoringPolicy.objects.get()
    assert (policy.upload_photos_target, policy.upload_summary_chars) == (6, 800)
    assert policy.upload_photos_share == 40


@pytest.mark.parametrize(
    "payload, problem",
    [
        ({"weights": {**NEW_WEIGHTS, "superior": 20}}, "weights_sum"),
        ({"weights": {**NEW_WEIGHTS, "sign_in": -10, "superior": 80}}, "weights_negative"),
        ({"weights": {"sign_in": 100}}, "weights_components"),
        ({"weights": {**NEW_WEIGHTS, "likes": 0}}, "weights_components"),
        ({"weights": NEW_WEIGHTS, "upload_photos_target": 0}, "photos_target"),
        ({"weights": NEW_WEIGHTS, "upload_photos_share": 101}, "photos_share"),
    ],
)
def test_terms_that_do_not_add_up_are_refused_with_a_stable_code(
    world,
    api,
    clock,  # noqa: F811
    payload,
    problem,
):
    resp = api(world.city_admin).post(PATH, payload)
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "invalid_policy"
    assert problem in body["problems"]
    assert body["message"]  # in Chinese, for people
    assert not ScoringPolicy.objects.exists()


def test_a_weight_that_is_not_a_number_is_a_validation_error(world, api, clock):  # noqa: F811
    resp = api(world.city_admin).post(PATH, {"weights": {**NEW_WEIGHTS, "upload": "十"}})
    assert (resp.status_code, resp.json()["code"]) == (422, "validation_error")
    assert not ScoringPolicy.objects.exists()


def test_only_a_root_admin_publishes_and_only_admins_list(world, api, clock):  # noqa: F811
    for user in (world.a.admin, world.a.branch_admin, world.a.member.user, world.outsider):
        resp = api(user).post(PATH, {"weights": NEW_WEIGHTS})
        assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    for user in (world.a.member.user, world.outsider):
        resp = api(user).get(PATH)
        assert (resp.status_code, resp.json()["code"]) == (403, "forbidden")
    assert api(None).get(PATH).status_code == 401
    assert api(None).post(PATH, {"weights": NEW_WEIGHTS}).status_code == 401
    assert not ScoringPolicy.objects.exists()
