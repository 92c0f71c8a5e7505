"""The study package in the back office: the list, the form that makes the city's package
and a county's add-on, publish and push (a second push notifies nobody), and the
completion table by branch with county and town names, only for the package's admins."""

import pytest
import time_machine

from dangjian.learning import packages
from dangjian.learning.models import PackageStatus, StudyPackage
from dangjian.notifications.models import Notification
from tests.learning.articles import NOW, published
from tests.learning.quizzes import bank, quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_an_admin_makes_publishes_and_pushes_the_package_and_reads_completion(
    world, page, clock, django_capture_on_commit_callbacks
):
    article = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    test = quiz(world, draws=[(cat, 1, 1)])
    admin = page(world.city_admin)
    form = admin.get(f"/console/orgs/{world.city.pk}/packages/new/")
    assert form.status_code == 200 and "学习一" in form.content.decode()
    answer = admin.post(
        f"/console/orgs/{world.city.pk}/packages/new/",
        {"month": "2026-12", "title": "十二月学习套餐", "articles": [article.pk], "quiz": test.pk},
    )
    package = StudyPackage.objects.get()
    assert answer.status_code == 302 and answer.url == f"/console/learning/packages/{package.pk}/"
    admin.post(f"/console/learning/packages/{package.pk}/publish/")
    package.refresh_from_db()
    assert package.status == PackageStatus.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/console/learning/packages/{package.pk}/push/")
    sent = Notification.objects.filter(dedupe_key=package.dedupe_key).count()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/console/learning/packages/{package.pk}/push/")
    assert sent == 6 == Notification.objects.filter(dedupe_key=package.dedupe_key).count()

    html = admin.get(f"/console/learning/packages/{package.pk}/").content.decode()
    for name in (world.a.org.name, world.a.town.name, world.a.branch.name, world.b.branch.name):
        assert name in html
    assert "十二月学习套餐" in admin.get("/console/learning/packages/").content.decode()
    by_county = admin.get(f"/console/learning/packages/{package.pk}/?by=county").content
    assert world.b.org.name in by_county.decode()

    # A county adds to it for its own members.
    extra = published(world, county=world.a, title="汉台区补充学习")
    county = page(world.a.admin)
    answer = county.post(
        f"/console/orgs/{world.a.org.pk}/packages/new/",
        {"month": "2026-12", "title": "汉台区补充", "articles": [extra.pk]},
    )
    assert answer.status_code == 302
    assert StudyPackage.objects.get(org=world.a.org).parent_id == package.pk
    # Admins who only read it see no completion table and cannot push.
    detail = county.get(f"/console/learning/packages/{package.pk}/").content.decode()
    assert 'data-testid="package-completion"' not in detail
    assert county.post(f"/console/learning/packages/{package.pk}/push/").status_code == 403


def test_the_completion_table_costs_the_same_queries_for_more_members(world, page, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import make_member

    article = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        title="十二月学习套餐",
        articles=[article],
        quiz=quiz(world, draws=[(cat, 1, 1)]),
    )
    admin = page(world.city_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(f"/console/learning/packages/{package.pk}/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(4):
        make_member(world.city_admin, world.b.other_branch, name=f"新党员{i}")
    assert count() == few


def test_a_month_ranking_export_has_the_study_package_completion_column(world, page, clock):
    import io

    from openpyxl import load_workbook

    from tests.learning.test_packages import read, take

    article = published(world, title="学习一")
    cat, _q = bank(world, n=1)
    test = quiz(world, draws=[(cat, 1, 1)])
    package = packages.create_package(
        actor=world.city_admin,
        org=world.city,
        month="2026-12",
        title="十二月学习套餐",
        articles=[article],
        quiz=test,
    )
    packages.publish_package(actor=world.city_admin, package=package)
    read(world.a.member, article, clock)
    take(world.a.member, test)
    url = f"/console/dashboards/orgs/{world.city.pk}/ranking.xlsx?period=2026-12&level=children"
    ws = load_workbook(io.BytesIO(page(world.city_admin).get(url).content)).active
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "名次")
    assert header[-1] == "学习套餐完成率（%）"
    rows = {r[1]: r[-1] for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], int)}
    # 汉台区: one of its three members done; 南郑区: none of three.
    assert rows == {"汉台区": 33.3, "南郑区": 0.0}
    quarter = url.replace("2026-12", "2026-Q4")
    ws = load_workbook(io.BytesIO(page(world.city_admin).get(quarter).content)).active
    header = next(r for r in ws.iter_rows(values_only=True) if r and r[0] == "名次")
    assert "学习套餐完成率（%）" not in header


def test_a_root_admin_may_weigh_the_study_component_on_the_policy_page(world, page, clock):
    from dangjian.scoring.models import ScoringPolicy

    admin = page(world.city_admin)
    form = {
        "weight_sign_in": 60,
        "weight_flowing_like": 10,
        "weight_upload": 10,
        "weight_comment": 10,
        "weight_superior": 0,
        "weight_study": 10,
        "upload_photos_target": 4,
        "upload_summary_chars": 400,
        "upload_photos_share": 50,
    }
    assert admin.post("/console/dashboards/policy/", form).status_code == 302
    assert ScoringPolicy.objects.get().weights["study"] == 10
    html = admin.get("/console/dashboards/policy/").content.decode()
    assert "学习套餐完成率" in html
    # Left empty, it weighs 0, as before the component existed.
    left_out = {**form, "weight_study": "", "weight_superior": 10}
    assert admin.post("/console/dashboards/policy/", left_out).status_code == 302
    assert "study" not in ScoringPolicy.objects.order_by("-version").first().weights
