"""Quarterly awards: the city opens a round and moves it on; branches submit cases; counties
nominate within quotas (advanced branches from the pre-filtered candidates only, model
members with their evidence); the city selects at most the setting's number and publishes;
the published results reach the members in scope only; certificates as PDF."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from dangjian.attendance.models import AttendanceRecord, AttendanceStatus, record_month
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.learning.models import Reading
from dangjian.scoring.formula import Period
from dangjian.supervision import award_certificates, award_selectors, awards
from dangjian.supervision import services as supervision
from dangjian.supervision.models import AwardKind, AwardRoundStatus, Nomination
from dangjian.volunteering.models import HoursEntry, HoursEntryKind
from tests.scoring.conftest import make_activity
from tests.supervision.awards import QUARTER, SHANGHAI, move_to, nominating, open_round, score

pytestmark = pytest.mark.django_db


def refused(code: str, fn, **kw):
    with pytest.raises(DomainError) as exc:
        fn(**kw)
    assert exc.value.code == code, exc.value
    return exc.value


def case_of(world, county, title="积分超市", **kw):
    return awards.submit_case(
        actor=county.branch_admin,
        award_round=kw.pop("award_round"),
        branch=kw.pop("branch", county.branch),
        title=title,
        text="以积分激励党员参与志愿服务。",
        **kw,
    )


# The round ---------------------------------------------------------------------------------


def test_only_the_city_opens_a_round_once_a_quarter_with_the_selection_size_setting(
    world, clock, settings
):
    settings.AWARD_SELECTION_SIZE = 7
    # A county's admin does not administer the city: it is not theirs to see.
    refused(
        "not_found",
        awards.open_award_round,
        actor=world.a.admin,
        org=world.city,
        quarter=QUARTER,
        nomination_deadline=date(2027, 1, 20),
        case_quota=1,
        branch_quota=1,
        member_quota=1,
    )
    award_round = open_round(world)
    assert (award_round.status, award_round.selection_size) == (AwardRoundStatus.OPEN, 7)
    assert refused("round_exists", open_round, world=world)
    assert AuditEntry.objects.filter(action="award.open", object_id=str(award_round.pk)).exists()


def test_a_round_is_opened_for_a_quarter_by_the_city_organization_only(world, clock):
    refused("validation_error", open_round, world=world, quarter=Period("month", date(2026, 12, 1)))
    refused(
        "invalid_org",
        awards.open_award_round,
        actor=world.city_admin,
        org=world.a.org,
        quarter=QUARTER,
        nomination_deadline=date(2027, 1, 20),
        case_quota=1,
        branch_quota=1,
        member_quota=1,
    )


def test_a_round_moves_one_step_at_a_time(world, clock):
    award_round = open_round(world)
    refused(
        "invalid_status",
        awards.advance_award_round,
        actor=world.city_admin,
        award_round=award_round,
        to=AwardRoundStatus.SELECTING,
    )
    refused(
        "forbidden",
        awards.advance_award_round,
        actor=world.a.admin,
        award_round=award_round,
        to=AwardRoundStatus.NOMINATING,
    )
    award_round = move_to(world, award_round, AwardRoundStatus.SELECTING)
    assert award_round.status == AwardRoundStatus.SELECTING


# Cases -------------------------------------------------------------------------------------


def test_a_branch_submits_a_case_with_its_own_activities_only(world, clock):
    award_round = open_round(world)
    own = make_activity(world.a.branch, date(2026, 11, 1))
    other = make_activity(world.a.other_branch, date(2026, 11, 1))
    refused(
        "validation_error",
        case_of,
        world=world,
        county=world.a,
        award_round=award_round,
        activity_ids=[own.pk, other.pk],
    )
    case = case_of(world, world.a, award_round=award_round, activity_ids=[own.pk])
    assert list(case.activities.all()) == [own]
    # Another branch's admin cannot submit in its name.
    refused(
        "not_found",
        awards.submit_case,
        actor=world.b.branch_admin,
        award_round=award_round,
        branch=world.a.branch,
        title="x",
        text="y",
    )


def test_cases_are_refused_once_the_deadline_passed_or_selection_began(world, clock):
    award_round = nominating(world)
    clock.move_to(datetime(2027, 1, 21, 9, tzinfo=SHANGHAI))
    refused("deadline_passed", case_of, world=world, county=world.a, award_round=award_round)


# Nominations within quotas -------------------------------------------------------------------


def test_a_county_nominates_cases_within_its_quota(world, clock):
    award_round = open_round(world, case_quota=1)
    first = case_of(world, world.a, award_round=award_round)
    second = case_of(world, world.a, award_round=award_round, title="红色驿站")
    refused("invalid_status", awards.nominate_case, actor=world.a.admin, case=first, reason="好")
    move_to(world, award_round, AwardRoundStatus.NOMINATING)
    first.round.refresh_from_db()
    nomination = awards.nominate_case(actor=world.a.admin, case=first, reason="可推广")
    assert (nomination.county, nomination.kind) == (world.a.org, AwardKind.CASE)
    second.round.refresh_from_db()
    error = refused(
        "quota_exceeded", awards.nominate_case, actor=world.a.admin, case=second, reason="好"
    )
    assert "1" in error.message
    # The other county's quota is its own; but it cannot nominate county a's case.
    refused("not_found", awards.nominate_case, actor=world.b.admin, case=second, reason="好")
    b_case = case_of(world, world.b, award_round=award_round)
    awards.nominate_case(actor=world.b.admin, case=b_case, reason="好")
    # Withdrawn, the place is free again.
    awards.withdraw_nomination(actor=world.a.admin, nomination=nomination)
    awards.nominate_case(actor=world.a.admin, case=second, reason="好")
    assert AuditEntry.objects.filter(action="award.withdraw").count() == 1


def test_nominations_close_at_the_deadline(world, clock):
    award_round = nominating(world)
    clock.move_to(datetime(2027, 1, 21, 9, tzinfo=SHANGHAI))
    refused(
        "deadline_passed",
        awards.nominate_member,
        actor=world.a.admin,
        award_round=award_round,
        member=world.a.member,
        reason="好",
    )


def test_the_same_subject_is_nominated_once(world, clock):
    award_round = nominating(world, member_quota=3)
    awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
    )
    refused(
        "already_nominated",
        awards.nominate_member,
        actor=world.city_admin,
        award_round=award_round,
        member=world.a.member,
        reason="好",
    )


def test_a_branch_admin_does_not_nominate(world, clock):
    award_round = nominating(world)
    refused(
        "not_found",
        awards.nominate_member,
        actor=world.a.branch_admin,
        award_round=award_round,
        member=world.a.member,
        reason="好",
    )


# Advanced branches: candidates pre-filtered --------------------------------------------------


def test_advanced_branch_candidates_are_the_top_share_of_the_county_without_overdue(world, clock):
    award_round = nominating(world, candidate_percent=50, branch_quota=2)
    score(world.a.branch, 9000)
    score(world.a.other_branch, 8000)
    rows = {r.org_id: r for r in award_selectors.branch_candidates(award_round, world.a.org)}
    assert (rows[world.a.branch.pk].rank, rows[world.a.branch.pk].is_candidate) == (1, True)
    assert rows[world.a.other_branch.pk].is_candidate is False
    refused(
        "not_candidate",
        awards.nominate_branch,
        actor=world.a.admin,
        award_round=award_round,
        branch=world.a.other_branch,
        reason="好",
    )
    nomination = awards.nominate_branch(
        actor=world.a.admin, award_round=award_round, branch=world.a.branch, reason="好"
    )
    assert nomination.evidence == {"rank": 1, "branches": 2, "score": "90.00"}


def test_a_branch_with_an_overdue_rectification_is_no_candidate(world, clock):
    award_round = nominating(world, candidate_percent=100)
    score(world.a.branch, 9000)
    score(world.a.other_branch, 8000)
    supervision.open_rectification(
        actor=world.city_admin,
        branch=world.a.branch,
        title="补齐记录",
        requirement="补齐十月的活动记录",
        deadline=date(2027, 1, 6),
    )
    clock.move_to(datetime(2027, 1, 8, 9, tzinfo=SHANGHAI))
    rows = {r.org_id: r for r in award_selectors.branch_candidates(award_round, world.a.org)}
    assert rows[world.a.branch.pk].has_overdue is True
    assert rows[world.a.branch.pk].is_candidate is False
    assert rows[world.a.other_branch.pk].is_candidate is True
    refused(
        "not_candidate",
        awards.nominate_branch,
        actor=world.a.admin,
        award_round=award_round,
        branch=world.a.branch,
        reason="好",
    )


def test_a_branch_that_held_nothing_is_no_candidate(world, clock):
    award_round = nominating(world, candidate_percent=100)
    rows = award_selectors.branch_candidates(award_round, world.a.org)
    assert rows and not any(r.is_candidate for r in rows)


# Model members: their evidence ------------------------------------------------------------


def test_a_model_member_is_nominated_with_the_quarters_evidence(world, clock):
    from tests.learning.articles import published

    member = world.a.member
    inside = make_activity(world.a.branch, date(2026, 11, 1))
    outside = make_activity(world.a.branch, date(2027, 1, 1), campaign=False)
    for activity in (inside, outside):
        AttendanceRecord.objects.create(
            activity=activity,
            month=record_month(activity.created_at),
            member=member,
            status=AttendanceStatus.CHECKED_IN,
            checked_in_at=activity.starts_at,
            created_at=activity.starts_at,
            updated_at=activity.starts_at,
        )
    for day, hours in ((date(2026, 10, 3), "2.50"), (date(2026, 12, 31), "1.25")):
        HoursEntry.objects.create(
            member=member,
            org=world.a.branch,
            kind=HoursEntryKind.SERVICE,
            hours=Decimal(hours),
            served_on=day,
            description="清扫",
            recorded_at=datetime(2027, 1, 1, tzinfo=SHANGHAI),
        )
    HoursEntry.objects.create(
        member=member,
        org=world.a.branch,
        kind=HoursEntryKind.SERVICE,
        hours=Decimal("9"),
        served_on=date(2026, 9, 30),
        description="季度之前",
        recorded_at=datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )
    article = published(world, county=world.a)
    at = datetime(2026, 12, 20, 20, tzinfo=SHANGHAI)
    Reading.objects.create(
        member=member,
        article=article,
        opened_at=at,
        finished_at=at + timedelta(minutes=10),
        counted_at=at + timedelta(minutes=10),
        seconds=610,
    )
    award_round = nominating(world)
    nomination = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=member, reason="带头服务群众"
    )
    assert nomination.evidence == {
        "check_ins": 1,
        "volunteer_hours": "3.75",
        "study_minutes": 10,
    }
    assert nomination.branch == world.a.branch and nomination.county == world.a.org


# Selection, publication ------------------------------------------------------------------


def _three_members(world, award_round):
    from tests.factories import make_member

    members = [world.a.member, world.a.flowing] + [
        make_member(world.city_admin, world.a.other_branch, name=f"党员{i}") for i in range(1)
    ]
    return [
        awards.nominate_member(actor=world.a.admin, award_round=award_round, member=m, reason="好")
        for m in members
    ]


def test_the_city_selects_at_most_the_selection_size_of_each_kind(world, clock, settings):
    settings.AWARD_SELECTION_SIZE = 2
    award_round = nominating(world, member_quota=3)
    first, second, third = _three_members(world, award_round)
    refused(
        "invalid_status",
        awards.select_nomination,
        actor=world.city_admin,
        nomination=first,
        selected=True,
    )
    move_to(world, award_round, AwardRoundStatus.SELECTING)
    first.round.refresh_from_db()
    for n in (first, second):
        n.round.refresh_from_db()
        awards.select_nomination(actor=world.city_admin, nomination=n, selected=True)
    third.round.refresh_from_db()
    refused(
        "quota_exceeded",
        awards.select_nomination,
        actor=world.city_admin,
        nomination=third,
        selected=True,
    )
    # A county cannot select.
    refused(
        "forbidden",
        awards.select_nomination,
        actor=world.a.admin,
        nomination=third,
        selected=True,
    )
    awards.select_nomination(actor=world.city_admin, nomination=second, selected=False)
    awards.select_nomination(actor=world.city_admin, nomination=third, selected=True)
    assert set(Nomination.objects.filter(is_selected=True)) == {first, third}


def test_a_published_round_changes_no_more(world, clock):
    award_round = nominating(world)
    nomination = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
    )
    award_round = move_to(world, award_round, AwardRoundStatus.SELECTING)
    nomination.round = award_round
    awards.select_nomination(actor=world.city_admin, nomination=nomination, selected=True)
    award_round = awards.publish_awards(actor=world.city_admin, award_round=award_round)
    assert award_round.published_at is not None
    refused(
        "already_published", awards.publish_awards, actor=world.city_admin, award_round=award_round
    )
    nomination.round = award_round
    refused(
        "already_published",
        awards.select_nomination,
        actor=world.city_admin,
        nomination=nomination,
        selected=False,
    )
    refused(
        "already_published",
        awards.withdraw_nomination,
        actor=world.a.admin,
        nomination=nomination,
    )
    # The winner's branch admins are told.
    from dangjian.notifications.models import Notification

    assert Notification.objects.filter(user=world.a.branch_admin, kind="award").exists()


def _published_with_one_winner(world):
    award_round = nominating(world, member_quota=2)
    winner = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
    )
    loser = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.flowing, reason="好"
    )
    award_round = move_to(world, award_round, AwardRoundStatus.SELECTING)
    winner.round = award_round
    awards.select_nomination(actor=world.city_admin, nomination=winner, selected=True)
    return awards.publish_awards(actor=world.city_admin, award_round=award_round), winner, loser


def test_a_round_reaches_no_member_before_it_is_published(world, clock):
    award_round = nominating(world)
    awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
    )
    assert not award_selectors.rounds_in(world.a.member.user).exists()
    assert not award_selectors.nominations_of(world.a.member.user, award_round).exists()


def test_published_results_reach_the_members_in_scope_only(world, clock):
    from dangjian import permissions

    member_b = world.b.member.user
    award_round, winner, loser = _published_with_one_winner(world)
    assert list(award_selectors.published_rounds(member_b)) == [award_round]
    results = award_selectors.results_of(member_b, award_round)
    assert results[AwardKind.MEMBER] == [winner]
    assert not permissions.can(member_b, "read", loser)
    assert not award_selectors.rounds_in(world.outsider).exists()
    assert not permissions.can(world.outsider, "read", winner)
    # County b's admin reads county a's winner, but not the one not selected.
    assert list(award_selectors.nominations_of(world.b.admin, award_round)) == [winner]
    assert set(award_selectors.nominations_of(world.a.admin, award_round)) == {winner, loser}


def test_a_certificate_is_a_pdf_for_a_published_winner_only(world, clock):
    award_round, winner, loser = _published_with_one_winner(world)
    winner.refresh_from_db()
    certificate = award_certificates.award_certificate(actor=world.a.member.user, nomination=winner)
    assert certificate.pdf.startswith(b"%PDF-") and certificate.filename.endswith(".pdf")
    refused(
        "not_selected",
        award_certificates.award_certificate,
        actor=world.a.admin,
        nomination=Nomination.objects.get(pk=loser.pk),
    )
    refused(
        "not_found",
        award_certificates.award_certificate,
        actor=world.outsider,
        nomination=winner,
    )


def test_no_certificate_before_publication(world, clock):
    award_round = nominating(world)
    nomination = awards.nominate_member(
        actor=world.a.admin, award_round=award_round, member=world.a.member, reason="好"
    )
    refused(
        "not_published",
        award_certificates.award_certificate,
        actor=world.a.admin,
        nomination=nomination,
    )


def test_the_certificate_says_who_and_what_for(world, clock):
    _round, winner, _loser = _published_with_one_winner(world)
    who, body = award_certificates.certificate_text(Nomination.objects.get(pk=winner.pk))
    assert world.a.member.name in who and "2026年第4季度实践标兵" in body


def test_the_counties_admins_are_told_when_a_round_opens_and_nominations_start(world, clock):
    from dangjian.notifications.models import Notification

    def told(user):
        return list(
            Notification.objects.filter(user=user, kind="award")
            .order_by("id")
            .values_list("title", "link")
        )

    award_round = open_round(world)
    move_to(world, award_round, AwardRoundStatus.NOMINATING)
    link = f"/console/supervision/awards/{award_round.pk}/"
    for county in (world.a, world.b):
        titles = told(county.admin)
        assert [t for t, _l in titles] == [
            "2026年第4季度评选已发起，请组织党支部报送金点子案例",
            "2026年第4季度评选开始推荐，截止 2027-01-20",
        ]
        assert {lk for _t, lk in titles} == {link}
    assert told(world.a.branch_admin) == [] and told(world.outsider) == []
