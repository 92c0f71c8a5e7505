"""The console's home (工作台) and what waits for each admin (`supervision.todos`): every
count in the admin's scope, the same on the home, in the menu's badges and over the API, in
a few queries whatever the number of items; where each account lands after signing in."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.registry import services
from dangjian.supervision import monthly_services, todos
from dangjian.supervision.todos import Rectifications, Todos
from tests.console import home_scene
from tests.factories import make_admin

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI)
# On the 15th the sheets due are November's (the policy's day is the 5th).
NOVEMBER = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scene(world):
    return home_scene.build(world)


def counts(**overrides) -> Todos:
    return Todos(sheet_month=NOVEMBER, **overrides)


CITY = counts(
    plans_to_review=3,
    leaves_to_decide=1,
    corrections_to_decide=1,
    rectifications=Rectifications(due_soon=1, overdue=1, to_accept=1),
    records_to_review=1,
    records_awaiting_resubmission=1,
)


# The selector -----------------------------------------------------------------------------


def test_the_city_admin_counts_everything_waiting_in_the_city(world, scene):
    assert todos.todos(world.city_admin) == CITY


def test_a_county_admin_counts_only_their_county(world, scene):
    assert todos.todos(world.a.admin) == counts(
        plans_to_review=2,
        leaves_to_decide=1,
        corrections_to_decide=1,
        rectifications=Rectifications(due_soon=1, overdue=1, to_accept=1),
        records_to_review=1,
        records_awaiting_resubmission=1,
    )
    assert todos.todos(world.b.admin) == counts(plans_to_review=1)


def test_the_branch_secretary_counts_their_branchs_side(world, scene):
    # Leave is theirs to decide; corrections, plans and records are their superiors'; the
    # rectifications due are their branch's (to answer, never to accept); the record sent
    # back waits for their supplement.
    assert todos.todos(world.a.branch_admin) == counts(
        leaves_to_decide=1,
        rectifications=Rectifications(due_soon=1, overdue=1, to_accept=0),
        records_to_supplement=1,
    )


def test_the_outsider_and_a_member_have_nothing_waiting(world, scene):
    assert todos.todos(world.outsider) == Todos()
    assert todos.todos(world.a.member.user) == Todos()
    assert todos.plans_to_review(world.outsider) == 0
    assert todos.menu_counts(world.outsider) == todos.MenuCounts()
    assert todos.rectifications(world.outsider) == Rectifications()


def test_a_rectification_is_due_soon_within_the_days_and_overdue_after_its_deadline(
    world, scene, clock
):
    # Deadlines: the 13th (overdue on the 15th), the 18th (due soon), the next month's 14th.
    assert todos.DUE_SOON_DAYS == 7
    assert todos.rectifications(world.a.admin) == Rectifications(1, 1, 1)
    # On the 10th the 13th is due soon and the 18th not yet (more than seven days away).
    assert todos.rectifications(world.a.admin, date(2026, 12, 10)) == Rectifications(1, 0, 1)
    # On the 19th both are overdue.
    clock.move_to(NOW.replace(day=19))
    assert todos.rectifications(world.a.admin) == Rectifications(0, 2, 1)


def test_the_months_sheets_are_counted_with_the_branches_they_list(world, scene):
    run = monthly_services.run_monthly_supervision(actor=world.city_admin, month=NOVEMBER)
    listed = {s.county_id: s.listed for s in run.made}
    city = todos.todos(world.city_admin)
    assert (city.sheets, city.sheet_branches) == (2, sum(listed.values()))
    county = todos.todos(world.a.admin)
    assert (county.sheets, county.sheet_branches) == (1, listed[world.a.org.pk])
    assert todos.todos(world.a.branch_admin).sheets == 0  # a county's sheet, not a branch's


def test_the_menus_counts_are_the_panels_in_one_query(world, scene):
    for user in (world.city_admin, world.a.admin, world.b.admin, world.a.branch_admin):
        panel = todos.todos(user)
        with CaptureQueriesContext(connection) as ctx:
            menu = todos.menu_counts(user)
        assert len(ctx.captured_queries) == 1
        assert menu == todos.MenuCounts(
            plans=panel.plans_to_review,
            decisions=panel.leaves_to_decide + panel.corrections_to_decide,
            rectifications=panel.rectifications.waiting,
        )
    assert todos.menu_counts(world.a.admin) == todos.MenuCounts(2, 2, 3)


def test_the_counts_take_the_same_queries_however_many_items_wait(world, scene):
    def queries() -> int:
        admin = type(world.city_admin).objects.get(pk=world.city_admin.pk)  # no cached roles
        with CaptureQueriesContext(connection) as ctx:
            todos.todos(admin)
        return len(ctx.captured_queries)

    few = queries()
    assert few <= 12
    home_scene.more_plans(world, 6)
    home_scene.build_more(world)
    assert todos.todos(world.city_admin).plans_to_review == 3 + 6
    assert queries() == few


# The home page ---------------------------------------------------------------------------


def test_the_home_shows_each_to_do_with_its_count_and_link(world, scene, page):
    r = page(world.city_admin).get(reverse("console:home"))
    assert r.status_code == 200
    rows = {row.key: row for row in r.context["rows"]}
    assert rows["plans"].count == 3 and rows["plans"].url == reverse("console:review_queue")
    assert rows["leaves"].url == reverse("console:attendance_inbox") + "#leaves"
    assert rows["corrections"].count == 1
    supervision = reverse("console:org_supervision", args=[world.city.pk])
    assert (rows["rect_overdue"].count, rows["rect_overdue"].url) == (1, supervision + "?overdue=1")
    assert rows["rect_due"].url == supervision + "?status=open"
    assert rows["rect_answered"].url == supervision + "?status=answered"
    assert rows["records"].url == reverse("console:record_review_queue") + "?period=all"
    assert rows["records_sent_back"].url.endswith("?state=sent_back")
    assert rows["sheet"].url == reverse("console:monthly_sheets") + "?month=2026-11"
    assert "records_to_supplement" not in rows  # nothing sent back to a branch they run
    html = r.content.decode()
    assert 'data-testid="todo-panel"' in html and "待审核计划" in html
    assert 'data-testid="todo-plans"' in html and 'data-count="3"' in html
    assert "汉中市 · 工作台" in html


def test_the_branch_secretary_is_sent_to_the_phone_for_their_records(world, scene, page):
    r = page(world.a.branch_admin).get(reverse("console:home"))
    rows = {row.key: row for row in r.context["rows"]}
    assert rows["records_to_supplement"].count == 1
    assert rows["records_to_supplement"].url == reverse("mobile:records")


def test_the_home_reads_the_same_queries_however_many_items_wait(
    world, scene, page, django_assert_max_num_queries
):
    client = page(world.city_admin)
    url = reverse("console:home")
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    home_scene.more_plans(world, 5)
    home_scene.build_more(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_outsider_and_members_are_refused_the_home(world, page):
    assert page(world.outsider).get(reverse("console:home")).status_code == 403
    assert page(world.a.member.user).get(reverse("console:home")).status_code == 403
    r = page(None).get(reverse("console:home"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("portal:login"))


# The menu's badges -----------------------------------------------------------------------


def test_the_menu_shows_the_plans_and_rectifications_waiting(world, scene, page):
    r = page(world.a.admin).get(reverse("console:index"))
    assert r.context["nav_plans"]() == 2
    assert r.context["nav_rectifications"]() == 3
    assert r.context["nav_waiting"]() == 2  # a leave request and a correction
    assert r.context["nav_records"]() == 1
    html = r.content.decode()
    assert 'data-testid="nav-plan-review">计划审核 <span class="badge red"' in html
    assert 'data-testid="nav-supervision">抽查督导 <span class="badge red"' in html
    assert 'data-testid="nav-home">工作台</a>' in html


def test_the_menu_shows_no_badge_where_nothing_waits(world, scene, page):
    html = page(world.b.admin).get(reverse("console:index")).content.decode()
    assert 'data-testid="nav-plan-review">计划审核 <span class="badge red"' in html  # its plan
    assert 'data-testid="nav-supervision">抽查督导</a>' in html
    assert 'data-testid="nav-attendance-inbox">考勤审批</a>' in html
    html = page(world.city_admin).get(reverse("console:index")).content.decode()
    assert 'title="待审核的活动计划">3</span>' in html


# The API --------------------------------------------------------------------------------


def test_the_api_answers_the_same_counts(world, scene, api):
    r = api(world.city_admin).get("/me/todos")
    assert r.status_code == 200
    assert r.json() == {
        "plans_to_review": 3,
        "leaves_to_decide": 1,
        "corrections_to_decide": 1,
        "rectifications": {"due_soon": 1, "overdue": 1, "to_accept": 1},
        "records_to_review": 1,
        "records_awaiting_resubmission": 1,
        "records_to_supplement": 0,
        "sheet_month": "2026-11",
        "sheets": 0,
        "sheet_branches": 0,
    }
    assert api(world.b.admin).get("/me/todos").json()["plans_to_review"] == 1
    assert api(world.a.branch_admin).get("/me/todos").json()["records_to_supplement"] == 1


def test_the_api_refuses_the_outsider_a_member_and_the_anonymous(world, scene, api):
    for user in (world.outsider, world.a.member.user):
        r = api(user).get("/me/todos")
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = api(None).get("/me/todos")
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")


# Where each account lands ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("city_admin", "console:home"),
        ("county_admin", "console:home"),
        ("town_admin", "console:home"),
        ("branch_admin", "mobile:month"),
        ("member", "mobile:home"),
        ("outsider", "mobile:home"),
    ],
)
def test_each_account_lands_on_its_home(world, page, who, landing):
    users = {
        "city_admin": world.city_admin,
        "county_admin": world.a.admin,
        "town_admin": make_admin(world.city_admin, world.a.town, "镇管理员"),
        "branch_admin": world.a.branch_admin,
        "member": world.a.member.user,
        "outsider": world.outsider,
    }
    r = page(users[who]).get(reverse("portal:home"))
    assert (r.status_code, r["Location"]) == (302, reverse(landing))


def test_a_secretary_who_also_runs_a_town_lands_on_the_console(world, page):
    services.grant_admin(actor=world.city_admin, org=world.b.town, user=world.a.branch_admin)
    r = page(world.a.branch_admin).get(reverse("portal:home"))
    assert r["Location"] == reverse("console:home")
