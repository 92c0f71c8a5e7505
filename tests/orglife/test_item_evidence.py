"""Marking a held activity's required items with their evidence, where the policy requires
it, and the missing items read for many activities at once."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import services as interaction
from dangjian.orglife import selectors, services
from dangjian.orglife.models import ItemEvidence
from tests.interaction.conftest import image_bytes, upload
from tests.orglife.conftest import AFTER
from tests.themedays.conftest import NOW


def mark(world, activity, item, *, is_done=True, actor=None, **evidence):
    return services.record_item(
        actor=actor or world.a.branch_admin,
        activity=activity,
        item=item,
        is_done=is_done,
        **evidence,
    )


def test_an_item_is_marked_done_with_its_evidence_and_audited(world, activity, after):
    evidence = mark(world, activity, "deliberation", matters="修缮村道", decisions="一致同意")
    assert evidence.is_done and evidence.matters == "修缮村道"
    entry = AuditEntry.objects.get(action="item.record", object_id=str(evidence.pk))
    assert entry.org_id == world.a.branch.pk
    assert entry.after["decisions"] == "一致同意"


@pytest.mark.parametrize(
    ("item", "evidence"),
    [
        ("charter", {}),
        ("org_life", {"matters": "只有事项"}),
        ("deliberation", {"matters": "修缮村道"}),
        ("deliberation", {"text": "讨论了事项"}),
        ("disclosure", {}),
        ("study", {}),
        ("dues", {"text": "已收齐"}),
    ],
)
def test_an_item_without_the_evidence_it_needs_is_refused(world, activity, after, item, evidence):
    with pytest.raises(DomainError) as error:
        mark(world, activity, item, **evidence)
    assert error.value.code == "evidence_required"
    assert not ItemEvidence.objects.exists()


def test_an_item_the_policy_leaves_out_is_marked_done_without_evidence(
    world, activity, after, settings
):
    settings.ITEM_EVIDENCE_REQUIRED = ("dues",)
    assert mark(world, activity, "charter").is_done
    with pytest.raises(DomainError) as error:
        mark(world, activity, "dues")
    assert error.value.code == "evidence_required"


def test_an_item_may_be_marked_not_done_without_evidence(world, activity, after):
    assert not mark(world, activity, "org_life", is_done=False).is_done


def test_the_dues_item_is_shown_by_the_months_dues_records(world, activity, after):
    services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-12",
        method="cash",
        amount="12.50",
    )
    assert mark(world, activity, "dues").is_done


def test_dues_of_another_month_do_not_show_the_dues_item(world, activity, after):
    services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-11",
        method="cash",
        amount="12.50",
    )
    with pytest.raises(DomainError) as error:
        mark(world, activity, "dues")
    assert error.value.code == "evidence_required"


def test_a_photo_of_the_activity_shows_the_disclosure(world, activity):
    with time_machine.travel(AFTER.replace(hour=10), tick=False):
        photo = interaction.upload_photo(
            actor=world.a.branch_admin, activity=activity, file=upload(image_bytes())
        )
    with time_machine.travel(AFTER, tick=False):
        evidence = mark(world, activity, "disclosure", photo_ids=[photo.pk])
    assert list(evidence.photos.all()) == [photo]


def test_a_photo_of_another_activity_is_refused(world, activity, after):
    with pytest.raises(DomainError) as error:
        mark(world, activity, "disclosure", photo_ids=[999999])
    assert error.value.code == "validation_error"


def test_marking_again_replaces_the_record(world, activity, after):
    mark(world, activity, "org_life", text="第一稿")
    again = mark(world, activity, "org_life", text="会议记录定稿")
    assert ItemEvidence.objects.get().text == "会议记录定稿" == again.text
    entries = AuditEntry.objects.filter(action="item.record").order_by("pk")
    assert [e.after.get("text") for e in entries] == ["第一稿", "会议记录定稿"]


def test_items_are_recorded_only_once_the_activity_has_started(world, activity):
    with time_machine.travel(NOW, tick=False), pytest.raises(DomainError) as error:
        mark(world, activity, "org_life", text="记录")
    assert error.value.code == "not_held"


@pytest.mark.parametrize("who", ["member", "other_county_admin", "outsider"])
def test_only_the_admins_over_the_branch_record_items(world, activity, after, who):
    actor = {
        "member": world.a.member.user,
        "other_county_admin": world.b.admin,
        "outsider": world.outsider,
    }[who]
    with pytest.raises(DomainError) as error:
        mark(world, activity, "org_life", text="记录", actor=actor)
    assert error.value.code in ("forbidden", "not_found")
    assert not ItemEvidence.objects.exists()


def test_the_county_admin_may_record_an_item_of_a_branch_below(world, activity, after):
    assert mark(world, activity, "org_life", text="记录", actor=world.a.admin).is_done


def test_missing_items_are_those_on_the_agenda_not_marked_done(world, activity, after):
    mark(world, activity, "charter", text="集体诵读党章第一章")
    mark(world, activity, "org_life", text="会议记录")
    mark(world, activity, "disclosure", is_done=False)
    assert selectors.missing_items([activity.pk, 987654]) == {
        activity.pk: ["dues", "study", "deliberation", "disclosure"]
    }


def test_an_agenda_without_standard_items_misses_none(world, activity, after):
    activity.agenda = ["红色教育", "参观纪念馆"]
    activity.save(update_fields=["agenda"])
    assert selectors.missing_items([activity.pk]) == {activity.pk: []}


def test_missing_items_of_many_activities_take_one_query(world, activity, after):
    mark(world, activity, "charter", text="诵读")
    with CaptureQueriesContext(connection) as queries:
        missing = selectors.missing_items([activity.pk, *range(10**6, 10**6 + 3000)])
    assert len(queries) == 1
    assert missing[activity.pk] == ["dues", "study", "org_life", "deliberation", "disclosure"]


def test_the_item_sheet_shows_each_item_with_its_state_and_the_months_dues(world, activity, after):
    mark(world, activity, "charter", text="诵读")
    services.record_dues(
        actor=world.a.branch_admin,
        member=world.a.member,
        month="2026-12",
        method="wechat",
        amount="5.00",
    )
    sheet = selectors.item_sheet(activity)
    assert [row.code for row in sheet.rows if row.is_done] == ["charter"]
    assert sheet.missing == ["dues", "study", "org_life", "deliberation", "disclosure"]
    dues_row = next(row for row in sheet.rows if row.code == "dues")
    assert dues_row.has_evidence
    assert sheet.dues.month == date(2026, 12, 1)
    assert sheet.dues.paid == 1
    assert world.a.member not in sheet.dues.unpaid
    assert world.a.flowing in sheet.dues.unpaid


def test_missing_item_counts_give_each_held_branch_of_the_month_its_count(world, activity, after):
    mark(world, activity, "charter", text="诵读")
    mark(world, activity, "org_life", text="会议记录")
    assert selectors.missing_item_counts(world.city, date(2026, 12, 1)) == {world.a.branch.pk: 4}
    assert selectors.missing_item_counts(world.b.org, date(2026, 12, 1)) == {}
    assert selectors.missing_item_counts(world.city, date(2026, 11, 1)) == {}


def test_a_theme_day_not_yet_started_is_not_counted(world, activity):
    with time_machine.travel(NOW, tick=False):
        assert selectors.missing_item_counts(world.city, date(2026, 12, 1)) == {}


def test_items_are_recorded_until_the_records_grace_ends_then_only_when_sent_back(world):
    from dangjian.supervision import reviews
    from tests.scoring.conftest import make_activity

    activity = make_activity(world.a.branch, date(2026, 12, 1))  # closed 2026-12-10 12:00
    with time_machine.travel(activity.ends_at, tick=False):
        mark(world, activity, "org_life", text="会议记录")
    with time_machine.travel(date(2027, 1, 5), tick=False):
        with pytest.raises(DomainError) as error:
            mark(world, activity, "charter", text="诵读")
        assert error.value.code == "record_closed"
        reviews.send_back_record(
            actor=world.a.admin,
            activity=activity,
            reason="缺少诵读党章记录",
            deadline=date(2027, 1, 10),
        )
        assert mark(world, activity, "charter", text="诵读").is_done
