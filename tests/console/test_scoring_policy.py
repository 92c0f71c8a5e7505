"""The scoring policy page (评分规则): every admin reads the versions; only a root admin
publishes one, and the scores computed after it carry its version while older scores
keep theirs."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dangjian.audit.models import AuditEntry
from dangjian.registry.models import Member
from dangjian.scoring import services
from dangjian.scoring.models import ActivityScore, ScoringPolicy
from tests.scoring.conftest import (  # noqa: F401
    SHANGHAI,
    attend,
    clock,
    comment,
    like,
    make_activity,
    photos,
    rate,
    scored,
    summary,
)

pytestmark = pytest.mark.django_db
URL = reverse("console:dashboard_policy")
NEW_WEIGHTS = {"sign_in": 60, "flowing_like": 10, "upload": 10, "comment": 10, "superior": 10}


def form_data(weights=NEW_WEIGHTS, **overrides) -> dict:
    data = {f"weight_{name}": str(w) for name, w in weights.items()}
    data.update(
        upload_photos_target="4", upload_summary_chars="400", upload_photos_share="50", note=""
    )
    data.update(overrides)
    return data


def html(resp) -> str:
    return resp.content.decode()


def january_activity(world):
    """December's hand-computed inputs again, in an activity that closes on 10 January:
    with 60/10/10/10/10 it scores 30 + 10 + 5 + 3.333… + 8 = 56.33 (55.67 under v1)."""
    activity = make_activity(world.a.branch, date(2027, 1, 1))
    secretary = Member.objects.get(user=world.a.branch_admin)
    attend(activity, world.a.member)
    attend(activity, secretary, "absent")
    like(activity, world.a.flowing)
    photos(activity, 2)
    summary(activity, "学" * 200)
    comment(activity, world.a.member)
    rate(activity, world.a.org, 80)
    return activity


def test_any_admin_sees_the_versions_with_the_built_in_one_in_force(world, page, clock):  # noqa: F811
    resp = page(world.a.admin).get(URL)
    body = html(resp)
    assert resp.status_code == 200
    assert 'data-version="1"' in body and "现行第1版" in body
    assert "系统默认规则" in body
    assert "70%" in body and "照片 4 张满分，总结 400 字满分；照片占 50%" in body
    # A county admin reads, but has no form.
    assert 'name="weight_sign_in"' not in body
    assert "评分规则由市委组织部（根组织）管理员发布" in body


def test_a_root_admin_publishes_a_version_that_later_scores_carry_while_old_ones_keep_theirs(
    world,
    page,
    scored,  # noqa: F811
    clock,  # noqa: F811
):
    old = services.recompute_activity(scored.activity.pk)
    assert (old.policy_version, old.total) == (1, Decimal("55.67"))
    client = page(world.city_admin)
    form = html(client.get(URL))
    # The form starts from the version in force.
    assert 'name="weight_sign_in" value="70"' in form
    assert 'name="upload_photos_target" value="4"' in form

    resp = client.post(URL, form_data(note="加大互动权重"))
    assert resp.status_code == 302 and resp.url == URL
    page_after = html(client.get(URL))
    assert "已发布评分规则第 2 版" in page_after
    assert "现行第2版" in page_after
    assert "加大互动权重" in page_after and world.city_admin.name in page_after
    assert page_after.index('data-version="2"') < page_after.index('data-version="1"')
    policy = ScoringPolicy.objects.get()
    assert (policy.version, policy.weights, policy.created_by) == (2, NEW_WEIGHTS, world.city_admin)
    assert AuditEntry.objects.filter(action="scoring.policy").count() == 1

    # December closed before v2: recomputing it keeps version 1.
    again = services.recompute_activity(scored.activity.pk)
    assert (again.policy_version, again.total) == (1, Decimal("55.67"))
    with time_machine.travel(datetime(2027, 1, 10, 13, tzinfo=SHANGHAI), tick=False):
        new = services.recompute_activity(january_activity(world).pk)
    assert (new.policy_version, new.total) == (2, Decimal("56.33"))
    assert ActivityScore.objects.get(activity=scored.activity).policy_version == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (form_data({**NEW_WEIGHTS, "superior": 20}), "五项权重之和应为 100"),
        (form_data({**NEW_WEIGHTS, "sign_in": -10, "superior": 80}), "权重应为不小于 0 的整数"),
        (form_data(upload_photos_target="0"), "照片满分张数至少为 1"),
        (form_data(upload_photos_share="120"), "照片占上传分的比例应在 0 到 100 之间"),
        (form_data(weight_upload="十"), "请填写整数"),
        (form_data(weight_comment=""), "请填写评论率权重"),
    ],
)
def test_terms_that_do_not_add_up_are_refused_in_chinese_and_nothing_is_written(
    world,
    page,
    clock,  # noqa: F811
    data,
    message,
):
    resp = page(world.city_admin).post(URL, data)
    assert resp.status_code == 200
    body = html(resp)
    assert message in body
    assert "本次未保存任何内容" in body or 'class="alert error"' in body
    # What was typed stays in the form.
    assert f'name="weight_sign_in" value="{data["weight_sign_in"]}"' in body
    assert not ScoringPolicy.objects.exists()
    assert not AuditEntry.objects.filter(action="scoring.policy").exists()


@pytest.mark.parametrize("who", ["county_admin", "branch_admin"])
def test_admins_below_the_root_read_the_page_but_are_refused_when_they_post(
    world,
    page,
    clock,  # noqa: F811
    who,
):
    user = {"county_admin": world.a.admin, "branch_admin": world.a.branch_admin}[who]
    client = page(user)
    assert client.get(URL).status_code == 200
    resp = client.post(URL, form_data())
    assert resp.status_code == 403
    assert not ScoringPolicy.objects.exists()


def test_the_outsider_a_member_and_strangers_are_kept_out(world, page, clock):  # noqa: F811
    for user in (world.outsider, world.a.member.user):
        client = page(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, form_data()).status_code == 403
    resp = page(None).post(URL, form_data())
    assert resp.status_code == 302 and resp.url.startswith(reverse("portal:login"))
    assert not ScoringPolicy.objects.exists()


def test_the_dashboards_link_to_the_policy(world, page, scored, clock):  # noqa: F811
    client = page(world.a.admin)
    services.recompute_activity(scored.activity.pk)
    county = html(client.get(reverse("console:dashboard", args=[world.a.org.pk])))
    assert f'href="{URL}"' in county
    score = html(client.get(reverse("console:dashboard_activity", args=[scored.activity.pk])))
    assert f'href="{URL}"' in score and "评分规则第1版" in score
    branch = html(
        client.get(reverse("console:dashboard", args=[world.a.branch.pk]) + "?period=2026-12")
    )
    assert f'href="{URL}#v1"' in branch
