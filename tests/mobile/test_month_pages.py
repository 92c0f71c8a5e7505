"""The branch secretary's month on the phone (/m/month/, issue 22 point 3)."""

from django.urls import reverse


def test_the_month_page_lists_the_branch_the_secretary_administers(world, page):
    response = page(world.a.branch_admin).get(reverse("mobile:month"))
    assert response.status_code == 200
    assert world.a.branch.name in response.content.decode()
    assert world.b.branch.name not in response.content.decode()


def test_the_month_page_lists_no_branch_for_a_plain_member_or_the_outsider(world, page):
    for user in (world.a.member.user, world.outsider):
        response = page(user).get(reverse("mobile:month"))
        assert response.status_code == 200
        assert world.a.branch.name not in response.content.decode()


def test_the_month_page_asks_an_anonymous_visitor_to_sign_in(world, page):
    response = page(None).get(reverse("mobile:month"))
    assert response.status_code == 302
