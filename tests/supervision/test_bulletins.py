"""The quarterly bulletin: its figures equal the rankings and counts worked out here by
hand, a published bulletin never changes (services refuse, its files keep their hashes), a
correction is a new version, and each admin sees their own scope's."""

import hashlib
import io
from datetime import date, datetime

import openpyxl
import pypdfium2
import pytest
import time_machine

from dangjian.attendance.models import Correction, RequestStatus
from dangjian.core.errors import DomainError
from dangjian.notifications.models import Notification
from dangjian.orglife.models import ItemEvidence
from dangjian.scoring import services as scoring
from dangjian.scoring.formula import Period
from dangjian.supervision import bulletin_figures, bulletins, reviews
from dangjian.supervision import services as supervision
from dangjian.supervision.models import Bulletin, BulletinStatus
from tests.scoring.conftest import SHANGHAI, make_activity
from tests.scoring.test_rankings import stored

pytestmark = pytest.mark.django_db
OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def held(branch, month, hundredths, **changes):
    activity = make_activity(branch, month)
    if changes:
        for name, value in changes.items():
            setattr(activity, name, value)
        activity.save(update_fields=list(changes))
    stored(activity, hundredths)
    scoring.refresh_branch(branch_id=branch.pk, month=month)
    return activity


@pytest.fixture
def quarter(world, clock):
    """Q4 2026 in the two counties, by hand:

    | branch | Oct | Nov | Dec | quarter | months missed |
    | A village (rural) | 90 | 90 | 90 (late record) | 90.00 | — |
    | A community | 60 | — | 60 | 40.00 | Nov |
    | B village (rural) | 80 | 70 | 60 | 70.00 | — |
    | B community | — | — | — | 0.00 | Oct, Nov, Dec |

    County A: (90 + 40) / 2 = 65.00; county B: (70 + 0) / 2 = 35.00. Rural: 80.00,
    community: 20.00. One approved and one refused attendance correction; a December spot
    check with one problem and its rectification, overdue on 15 January. A village's October
    agenda has four required items, two marked done (two missing); its November record is
    sent back and not answered, past its deadline on 15 January."""
    a, b = world.a, world.b
    oct_a = held(
        a.branch, OCT, 9000, agenda=["诵读党章", "缴纳党费", "研学党规党情", "开展民主议事"]
    )
    nov_a = held(a.branch, NOV, 9000)
    held(a.branch, DEC, 9000, is_late_record=True, late_reason="停电未能按时录入")
    held(a.other_branch, OCT, 6000)
    held(a.other_branch, DEC, 6000)
    oct_b = held(b.branch, OCT, 8000)
    held(b.branch, NOV, 7000)
    held(b.branch, DEC, 6000)
    at = datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)
    for activity, member, status in (
        (oct_a, a.member, RequestStatus.APPROVED),
        (oct_b, b.member, RequestStatus.REFUSED),
    ):
        Correction.objects.create(
            activity=activity,
            member=member,
            to_status="checked_out",
            from_status="absent",
            reason="手机故障",
            proposed_at=at,
            status=status,
            decided_at=at,
        )
    for item in ("charter", "study"):
        ItemEvidence.objects.create(
            activity=oct_a, item=item, is_done=True, text="已完成", recorded_at=at
        )
    reviews.send_back_record(
        actor=world.city_admin, activity=nov_a, reason="照片不清晰", deadline=date(2027, 1, 8)
    )
    check = supervision.create_spot_check(
        actor=world.city_admin, org=world.city, period=Period("month", DEC), size=4, seed=7
    )
    item = check.items.get(branch=b.other_branch)
    supervision.record_finding(
        actor=world.city_admin, item=item, result="problems", finding="未开展主题党日"
    )
    supervision.open_rectification(
        actor=world.city_admin,
        branch=b.other_branch,
        title="补开主题党日",
        requirement="说明原因并补开",
        deadline=date(2027, 1, 10),
        finding=item,
    )
    clock.move_to(datetime(2027, 1, 15, 9, tzinfo=SHANGHAI))
    return world


def generate(world, org=None, actor=None):
    return bulletins.generate_bulletin(
        actor=actor or world.city_admin, org=org or world.city, year=2026, quarter=4
    )


def read(stored) -> bytes:
    with stored.file.open("rb") as handle:
        return handle.read()


def pdf_of(bulletin) -> bytes:
    return read(bulletins.file_of(bulletin, "pdf"))


def test_the_figures_equal_the_rankings_and_counts_worked_out_by_hand(quarter):
    world = quarter
    f = generate(world).figures
    assert f["period"] == "2026-Q4"
    assert f["summary"] == {"branches": 4, "held": 3, "score": "50.00"}
    assert [
        (c["rank"], c["name"], c["score"], c["branches"], c["held"]) for c in f["children"]
    ] == [
        (1, "汉台区", "65.00", 2, 2),
        (2, "南郑区", "35.00", 2, 1),
    ]
    assert [(s["rank"], s["name"], s["score"]) for s in f["sectors"]] == [
        (1, "农村", "80.00"),
        (2, "社区", "20.00"),
    ]
    names = {
        world.a.branch.pk: "A village",
        world.a.other_branch.pk: "A community",
        world.b.branch.pk: "B village",
        world.b.other_branch.pk: "B community",
    }
    assert [(r["rank"], names[r["org_id"]], r["score"], r["held_months"]) for r in f["top"]] == [
        (1, "A village", "90.00", 3),
        (2, "B village", "70.00", 3),
        (3, "A community", "40.00", 2),
        (4, "B community", "0.00", 0),
    ]
    assert names[f["bottom"][0]["org_id"]] == "B community"
    assert f["top"][0]["under"] == "汉台区"
    missed = f["missed"]
    assert (missed["branch_months"], missed["branches"], missed["all_months"]) == (4, 2, 1)
    assert [(names[r["org_id"]], r["months"]) for r in missed["rows"]] == [
        ("B community", ["2026-10", "2026-11", "2026-12"]),
        ("A community", ["2026-11"]),
    ]
    assert missed["by_child"] == [{"name": "汉台区", "count": 1}, {"name": "南郑区", "count": 3}]
    late = f["late_records"]
    assert late["count"] == 1
    assert late["rows"][0]["branch"] == world.a.branch.name
    assert late["rows"][0]["reason"] == "停电未能按时录入"
    corrections = f["corrections"]
    assert (corrections["count"], corrections["approved"], corrections["refused"]) == (2, 1, 1)
    assert corrections["by_child"] == [{"name": "汉台区", "count": 1}]
    spot = f["spot_checks"]
    assert (spot["checks"], spot["sampled"], spot["problems"], spot["pending"]) == (1, 4, 1, 3)
    assert spot["rows"][0]["finding"] == "未开展主题党日"
    rect = f["rectifications"]
    assert (rect["count"], rect["open"], rect["overdue"]) == (1, 1, 1)
    missing = f["items_missing"]
    assert (missing["records"], missing["with_missing"], missing["items"]) == (8, 1, 2)
    assert [(i["name"], i["count"]) for i in missing["by_item"]] == [
        ("缴纳党费", 1),
        ("开展民主议事", 1),
    ]
    assert missing["rows"][0]["items"] == ["缴纳党费", "开展民主议事"]
    back = f["send_backs"]
    assert (back["count"], back["answered"], back["unanswered"], back["overdue"]) == (1, 0, 1, 1)
    assert back["rows"][0]["reason"] == "照片不清晰"
    assert back["by_child"] == [{"name": "汉台区", "count": 1}]


def test_a_county_bulletin_counts_only_its_subtree(quarter):
    world = quarter
    f = generate(world, org=world.a.org, actor=world.a.admin).figures
    assert f["summary"] == {"branches": 2, "held": 2, "score": "65.00"}
    assert [c["name"] for c in f["children"]] == [world.a.town.name]
    assert {r["org_id"] for r in f["top"]} == {world.a.branch.pk, world.a.other_branch.pk}
    assert f["corrections"]["count"] == 1
    assert f["spot_checks"]["sampled"] == 2
    assert f["rectifications"]["count"] == 0


def test_the_pdf_embeds_its_chinese_font_and_says_the_quarter(quarter):
    bulletin = generate(quarter)
    pdf = pdf_of(bulletin)
    assert pdf.startswith(b"%PDF")
    # An embedded TrueType font program, not a font only named (STSong-Light).
    assert b"/FontFile2" in pdf
    assert b"WenQuanYi" in pdf or b"WenQuanYiZenHei" in pdf
    assert b"STSong" not in pdf
    document = pypdfium2.PdfDocument(pdf)
    text = document[0].get_textpage().get_text_range()
    assert "汉中市 2026 年第 4 季度党建工作通报" in text
    assert "汉台区" in text


def test_the_workbook_holds_the_whole_ranking_and_every_list(quarter):
    bulletin = generate(quarter)
    stored_file = bulletins.file_of(bulletin, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(read(stored_file)))
    ranking = list(wb["党支部排名"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4]) for r in ranking] == [(1, 90.0), (2, 70.0), (3, 40.0), (4, 0.0)]
    assert len(list(wb["未开展月份"].iter_rows(min_row=2))) == 2
    assert list(wb["下级组织排名"].iter_rows(min_row=2, values_only=True))[0][:3] == (
        1,
        "汉台区",
        65.0,
    )


def test_a_draft_is_generated_again_in_place_until_published(quarter):
    world = quarter
    first = generate(world)
    again = generate(world)
    assert again.pk == first.pk and again.version == 1
    assert again.files.count() == 2
    assert Bulletin.objects.count() == 1


def test_a_published_bulletin_cannot_change_and_its_files_keep_their_hashes(quarter):
    world = quarter
    bulletin = bulletins.publish_bulletin(actor=world.city_admin, bulletin=generate(world))
    files = {f.kind: (f.sha256, f.file.name) for f in bulletin.files.all()}
    figures = bulletin.figures
    held(world.b.other_branch, NOV, 10000)  # the data moves on
    with pytest.raises(DomainError) as refused:
        generate(world)
    assert refused.value.code == "already_published"
    with pytest.raises(DomainError) as refused:
        bulletins.publish_bulletin(actor=world.city_admin, bulletin=bulletin)
    assert refused.value.code == "already_published"
    bulletin.refresh_from_db()
    assert bulletin.figures == figures
    for f in bulletin.files.all():
        assert (f.sha256, f.file.name) == files[f.kind]
        assert hashlib.sha256(read(f)).hexdigest() == f.sha256


def test_a_file_changed_on_disk_is_refused_rather_than_served(quarter):
    world = quarter
    bulletin = bulletins.publish_bulletin(actor=world.city_admin, bulletin=generate(world))
    pdf = bulletin.files.get(kind="pdf")
    with open(pdf.file.path, "ab") as handle:
        handle.write(b"%tampered")
    with pytest.raises(DomainError) as refused:
        bulletins.file_of(bulletin, "pdf")
    assert refused.value.code == "file_changed"
    xlsx = bulletin.files.get(kind="xlsx")
    xlsx.file.storage.delete(xlsx.file.name)
    with pytest.raises(DomainError) as refused:
        bulletins.file_of(bulletin, "xlsx")
    assert refused.value.code == "file_changed"


def test_a_correction_is_a_new_version_that_supersedes_the_old_one(quarter):
    world = quarter
    v1 = bulletins.publish_bulletin(actor=world.city_admin, bulletin=generate(world))
    v1_files = {f.kind: f.sha256 for f in v1.files.all()}
    held(world.b.other_branch, NOV, 9000)
    v2 = bulletins.correct_bulletin(actor=world.city_admin, bulletin=v1, reason="南郑区数据补录")
    assert (v2.version, v2.replaces_id, v2.status) == (2, v1.pk, BulletinStatus.DRAFT)
    v1.refresh_from_db()
    assert v1.status == BulletinStatus.PUBLISHED  # until the correction is published
    assert v2.figures["missed"]["branch_months"] == 3
    assert "取代" in pypdfium2.PdfDocument(pdf_of(v2))[0].get_textpage().get_text_range()
    with pytest.raises(DomainError) as refused:
        bulletins.correct_bulletin(actor=world.city_admin, bulletin=v1, reason="再改")
    assert refused.value.code == "draft_exists"
    bulletins.publish_bulletin(actor=world.city_admin, bulletin=v2)
    v1.refresh_from_db()
    assert v1.status == BulletinStatus.SUPERSEDED and v1.superseded_at is not None
    assert {f.kind: f.sha256 for f in v1.files.all()} == v1_files
    assert v1.figures["missed"]["branch_months"] == 4
    with pytest.raises(DomainError) as refused:
        bulletins.correct_bulletin(actor=world.city_admin, bulletin=v1, reason="再改")
    assert refused.value.code == "not_published"


def test_a_correction_needs_a_reason(quarter):
    world = quarter
    v1 = bulletins.publish_bulletin(actor=world.city_admin, bulletin=generate(world))
    with pytest.raises(DomainError) as refused:
        bulletins.correct_bulletin(actor=world.city_admin, bulletin=v1, reason="  ")
    assert refused.value.code == "validation_error"


def test_publishing_tells_every_member_and_admin_of_the_subtree_once(
    quarter, django_capture_on_commit_callbacks
):
    world = quarter
    draft = generate(world, org=world.a.org, actor=world.a.admin)
    assert not Notification.objects.filter(kind="bulletin").exists()
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = bulletins.publish_bulletin(actor=world.a.admin, bulletin=draft)
    told = set(Notification.objects.filter(kind="bulletin").values_list("user_id", flat=True))
    assert world.a.member.user_id in told and world.a.admin.pk in told
    assert world.a.branch_admin.pk in told
    assert world.b.member.user_id not in told and world.city_admin.pk not in told
    link = Notification.objects.get(user=world.a.member.user).link
    assert link == f"/m/bulletins/{bulletin.pk}/"
    bulletins.notify(bulletin.pk)  # run again: nobody twice
    assert Notification.objects.filter(kind="bulletin").count() == len(told)
    bulletin.refresh_from_db()
    assert bulletin.notified_members == len(told)


def test_only_the_admins_of_the_organization_generate_its_bulletin(quarter):
    world = quarter
    for actor in (world.a.admin, world.a.member.user, world.outsider):
        with pytest.raises(DomainError) as refused:
            generate(world, actor=actor)
        assert refused.value.code in ("forbidden", "not_found")
    with pytest.raises(DomainError) as refused:
        generate(world, org=world.a.branch, actor=world.a.admin)
    assert refused.value.code == "invalid_org"


def test_a_quarter_not_begun_has_no_bulletin(quarter):
    world = quarter
    with pytest.raises(DomainError) as refused:
        bulletins.generate_bulletin(actor=world.city_admin, org=world.city, year=2027, quarter=2)
    assert refused.value.code == "validation_error"


def test_drafts_are_read_by_the_admins_above_published_ones_by_the_whole_subtree(quarter):
    world = quarter
    draft = generate(world)
    users = (world.city_admin, world.a.admin, world.a.member.user, world.outsider)

    def readers():
        return {u.pk for u in users if bulletins.bulletins_for(u).filter(pk=draft.pk).exists()}

    assert readers() == {world.city_admin.pk}
    bulletins.publish_bulletin(actor=world.city_admin, bulletin=draft)
    assert readers() == {world.city_admin.pk, world.a.admin.pk, world.a.member.user_id}
    county = bulletins.publish_bulletin(
        actor=world.a.admin, bulletin=generate(world, org=world.a.org, actor=world.a.admin)
    )
    assert not bulletins.bulletins_for(world.b.admin).filter(pk=county.pk).exists()
    assert not bulletins.bulletins_for(world.b.member.user).filter(pk=county.pk).exists()


def test_generation_at_quarter_end_counts_rectifications_as_of_that_day(quarter):
    world = quarter
    with time_machine.travel(datetime(2027, 1, 8, 9, tzinfo=SHANGHAI), tick=False):
        f = generate(world).figures
    assert f["rectifications"]["overdue"] == 0 and f["as_of"] == "2027-01-08"


def test_a_bulletin_keeps_every_count_and_the_first_rows_of_each_list():
    figures = {
        "missed": {"branches": 500, "rows": list(range(500))},
        "late_records": {"count": 3, "rows": [1, 2, 3]},
        "children": [{"rank": 1}],
    }
    kept = bulletin_figures.kept(figures)
    assert kept["missed"] == {
        "branches": 500,
        "rows": list(range(bulletin_figures.KEPT_LIST_ROWS)),
        "rows_total": 500,
    }
    assert kept["late_records"] == {"count": 3, "rows": [1, 2, 3], "rows_total": 3}
    assert kept["children"] == [{"rank": 1}]
    assert len(figures["missed"]["rows"]) == 500  # the workbook's lists stay whole


def test_the_database_keeps_one_published_version_and_a_reason_for_each_correction(world):
    from django.db import IntegrityError, transaction

    from dangjian.core import clock as server_clock

    now = server_clock.now()
    fields = {"org": world.city, "year": 2026, "quarter": 4, "generated_at": now}
    v1 = Bulletin.objects.create(**fields, status="published", published_at=now)
    refusals = [
        # A second published version of the same scope and quarter.
        {
            "version": 2,
            "replaces": v1,
            "correction_reason": "x",
            "status": "published",
            "published_at": now,
        },
        # A correction that does not say why.
        {"version": 2, "replaces": v1, "correction_reason": ""},
        # A later version that replaces nothing.
        {"version": 2, "correction_reason": "x"},
        # Superseded without saying when.
        {
            "version": 2,
            "replaces": v1,
            "correction_reason": "x",
            "status": "superseded",
            "published_at": now,
        },
        # A fifth quarter.
        {"version": 1, "quarter": 5},
    ]
    for extra in refusals:
        with pytest.raises(IntegrityError), transaction.atomic():
            Bulletin.objects.create(**{**fields, **extra})
    v2 = Bulletin.objects.create(**fields, version=2, replaces=v1, correction_reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.create(**fields, version=3, replaces=v1, correction_reason="y")
    assert v2.status == BulletinStatus.DRAFT


def test_a_notice_lost_with_redis_is_sent_by_the_scheduled_sweep(quarter):
    world = quarter
    # Published inside the test's transaction: the queued notice never runs, as when Redis
    # was down at the click.
    bulletin = bulletins.publish_bulletin(
        actor=world.a.admin, bulletin=generate(world, org=world.a.org, actor=world.a.admin)
    )
    assert bulletin.notice_requested_at is not None and bulletin.noticed_at is None
    assert bulletins.resume_notices() == 0  # not yet: the click may still be running
    with time_machine.travel(datetime(2027, 1, 15, 9, 11, tzinfo=SHANGHAI), tick=False):
        assert bulletins.resume_notices() == 1
    bulletin.refresh_from_db()
    assert bulletin.noticed_at is not None and bulletin.notified_members > 0
    assert Notification.objects.filter(user=world.a.member.user, kind="bulletin").count() == 1


def test_two_first_clicks_at_once_leave_one_draft_and_a_conflict(quarter, monkeypatch):
    world = quarter
    first = generate(world)
    # The second click read the quarter before the first one's draft was written.
    monkeypatch.setattr(bulletins, "_locked_chain", lambda *args: [])
    with pytest.raises(DomainError) as refused:
        generate(world)
    assert refused.value.code == "conflict"
    assert list(Bulletin.objects.values_list("pk", flat=True)) == [first.pk]
