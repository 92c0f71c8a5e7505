"""The phone's 季度评选 page: the published results reach the members of the city (not
before publication, not outsiders), and a winner opens their certificate as PDF."""

import pytest

from dangjian.supervision import awards
from dangjian.supervision.models import AwardRoundStatus
from tests.scoring.conftest import clock  # noqa: F401
from tests.supervision.awards import move_to, nominating

pytestmark = pytest.mark.django_db

PAGE = "/m/awards/"


@pytest.fixture
def rounds(world, clock):  # noqa: F811
    award_round = nominating(world, member_quota=2)
    winner = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="带头服务"
    )
    loser = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.flowing, reason="好"
    )
    award_round = move_to(world, award_round, AwardRoundStatus.SELECTING)
    winner.round = award_round
    awards.select_nomination(actor=world.city_admin, nomination=winner, selected=True)
    return award_round, winner, loser


def test_results_reach_members_only_once_published(world, page, rounds):
    award_round, winner, loser = rounds
    member_b = page(world.b.member.user)
    assert "还没有公布" in member_b.get(PAGE).content.decode()
    awards.publish_awards(actor=world.city_admin, award_round=award_round)
    shown = member_b.get(PAGE).content.decode()
    assert world.a.member.name in shown and world.a.flowing.name not in shown
    assert "实践标兵" in shown
    # Only the winner (and their branch) gets the certificate link.
    assert "award-certificate" not in shown
    own = page(world.a.member.user).get(PAGE).content.decode()
    assert f"/m/awards/certificates/{winner.pk}.pdf" in own
    outsider = page(world.outsider).get(PAGE).content.decode()
    assert world.a.member.name not in outsider


def test_a_winner_opens_the_certificate(world, page, rounds):
    award_round, winner, loser = rounds
    url = f"/m/awards/certificates/{winner.pk}.pdf"
    assert page(world.a.member.user).get(url).status_code == 404  # not published yet
    awards.publish_awards(actor=world.city_admin, award_round=award_round)
    resp = page(world.a.member.user).get(url)
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF-")
    assert page(world.outsider).get(url).status_code == 404
    assert (
        page(world.b.member.user).get(f"/m/awards/certificates/{loser.pk}.pdf").status_code == 404
    )
    assert page(None).get(url).status_code == 302
