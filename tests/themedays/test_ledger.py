"""A branch's yearly ledger: built from a year made by the services, the ZIP holds every
record of the branch's year in its index and PDF, and every original file byte for byte;
nothing of another year or another branch."""

import io
import re
import zipfile
from datetime import datetime

import pypdfium2
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from dangjian.attendance import services as attendance
from dangjian.attendance.models import AttendanceRecord
from dangjian.audit.models import AuditEntry
from dangjian.core.errors import DomainError
from dangjian.interaction import services as interaction
from dangjian.interaction.models import Comment
from dangjian.orglife import services as orglife
from dangjian.orglife.models import DuesBase, DuesRecord, ItemEvidence
from dangjian.scoring import services as scoring
from dangjian.scoring.formula import parse_period
from dangjian.scoring.models import BranchPeriodScore
from dangjian.supervision import services as supervision
from dangjian.supervision.models import RectificationAttachment, RectificationEvent
from dangjian.themedays.history import import_history
from dangjian.themedays.ledger import services as ledgers
from dangjian.themedays.models import ActivityEvent, Ledger, LedgerStatus, RosterEntry
from tests.attendance.conftest import (
    AFTER_END,
    DURING,
    START,
    approve,
    check_in,
    check_out,
    make_campaign,
)
from tests.interaction.conftest import image_bytes, use_tmp_media
from tests.themedays.history_files import history_file, row

SHANGHAI = START.tzinfo
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
CLOSED = datetime(2026, 12, 10, 13, 0, tzinfo=SHANGHAI)
LATER = datetime(2026, 12, 11, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    use_tmp_media(settings, tmp_path)


def at(when):
    return time_machine.travel(when, tick=False)


def build_year(world):
    """County A's village branch in 2026: a March day imported from paper and December's
        campaign day held on the platform, with check-ins, a reflection and a comment, a photo,
        a summary, a rating, its score, and a rectification answered with a file. Also a 2025
        day of the same branch and a 2026 day of its neighbour, which its 2026 ledger leaves out.
    Two required items with their evidence, and the dues register: a base and two payments."""
    a = world.a
    with at(NOW):
        rows = [
            row("2026-03", a.branch.code, "三月主题党日", "2026-03-12 09:00", names=a.member.name),
            row("2025-05", a.branch.code, "五月主题党日", "2025-05-10 09:00", count=12),
            row("2026-04", a.other_branch.code, "邻居的四月", "2026-04-10 09:00", count=8),
        ]
        import_history(actor=a.admin, org=a.org, file=history_file(rows), filename="历史.xlsx")
        campaign = make_campaign(world)
        activity = approve(world, a.branch, a.branch_admin, a.admin, campaign)
    with at(DURING):
        check_in(a.member.user, activity)
    with at(AFTER_END):
        check_out(a.member.user, activity, reflection="重温誓词，倍受鼓舞。")
        interaction.upload_photo(
            actor=a.branch_admin,
            activity=activity,
            file=SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg"),
        )
        interaction.write_summary(actor=a.branch_admin, activity=activity, text="全体党员参加。")
        interaction.post_comment(actor=a.flowing.user, activity=activity, body="远程学习了。")
    with at(CLOSED):
        attendance.close_activity(activity=activity)
        interaction.rate_activity(actor=a.admin, activity=activity, score=90, remark="好")
        rect = supervision.open_rectification(
            actor=a.admin,
            branch=a.branch,
            title="补齐签到",
            requirement="说明缺勤原因",
            deadline=LATER.date(),
        )
        supervision.answer_rectification(
            actor=a.branch_admin,
            rectification=rect,
            text="已说明。",
            files=[SimpleUploadedFile("说明.png", image_bytes("PNG"), content_type="image/png")],
        )
        orglife.record_item(
            actor=a.branch_admin,
            activity=activity,
            item="deliberation",
            is_done=True,
            matters="修缮村道",
            decisions="同意",
        )
        orglife.record_item(
            actor=a.branch_admin,
            activity=activity,
            item="disclosure",
            is_done=True,
            photo_ids=[activity.photos.get().pk],
        )
        orglife.set_dues_base(
            actor=a.branch_admin,
            member=a.member,
            year=2026,
            category="employed",
            monthly_income=5000,
        )
        orglife.record_dues(actor=a.branch_admin, member=a.member, month="2026-12", method="wechat")
        orglife.record_dues(
            actor=a.branch_admin, member=a.flowing, month="2026-11", method="cash", amount=2
        )
        scoring.recompute(org=world.city, period=parse_period("2026"))
    return activity


def ledger_zip(ledger: Ledger) -> zipfile.ZipFile:
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.READY, ledger.failure
    with ledger.file.open("rb") as f:
        return zipfile.ZipFile(io.BytesIO(f.read()))


def index_of(zf: zipfile.ZipFile) -> dict[str, tuple]:
    wb = load_workbook(io.BytesIO(zf.read("目录.xlsx")), read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))[1:]
    return {row[2]: row for row in rows}


def test_the_ledger_zip_holds_every_record_of_the_branchs_year_and_every_original(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    activity = build_year(world)
    with at(LATER), django_capture_on_commit_callbacks(execute=True):
        ledger = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2026)
    zf = ledger_zip(ledger)
    index = index_of(zf)

    from dangjian.themedays.models import Activity

    mine = list(Activity.objects.filter(branch=a.branch, starts_at__year=2026))
    assert len(mine) == 2
    historical = next(x for x in mine if x.is_historical)
    expected = {f"activity:{x.pk}" for x in mine}
    expected |= {f"event:{e.pk}" for e in ActivityEvent.objects.filter(activity__in=mine)}
    expected |= {f"roster:{r.pk}" for r in RosterEntry.objects.filter(activity=activity)}
    expected |= {f"attendance:{r.pk}" for r in AttendanceRecord.objects.filter(activity=activity)}
    expected |= {f"photo:{p.pk}" for p in activity.photos.all()}
    expected |= {f"summary:{x.pk}" for x in mine}
    expected |= {f"comment:{c.pk}" for c in Comment.objects.filter(activity=activity)}
    expected |= {f"rating:{r.pk}" for r in activity.ratings.all()}
    expected |= {f"score:{x.pk}" for x in mine}
    expected |= {
        f"period_score:{s.pk}"
        for s in BranchPeriodScore.objects.filter(branch=a.branch, period_start__year=2026)
    }
    expected |= {f"historical:{historical.pk}"}
    rects = RectificationEvent.objects.filter(rectification__branch=a.branch)
    expected |= {f"rectification:{e.rectification_id}" for e in rects}
    expected |= {f"rectification_event:{e.pk}" for e in rects}
    expected |= {f"item_evidence:{e.pk}" for e in ItemEvidence.objects.filter(activity=activity)}
    expected |= {f"dues_base:{d.pk}" for d in DuesBase.objects.filter(member__branch=a.branch)}
    expected |= {f"dues_record:{d.pk}" for d in DuesRecord.objects.filter(branch=a.branch)}
    assert ItemEvidence.objects.count() == 2 and DuesRecord.objects.count() == 2
    files = list(RectificationAttachment.objects.filter(rectification__branch=a.branch))
    expected |= {f"rectification_file:{f.pk}" for f in files}
    assert len(files) == 1 and activity.photos.count() == 1
    assert Comment.objects.filter(activity=activity, is_reflection=True).count() == 1
    assert set(index) == expected

    names = set(zf.namelist())
    originals = [(f"photo:{p.pk}", p.image) for p in activity.photos.all()]
    originals += [(f"rectification_file:{f.pk}", f.file) for f in files]
    for key, stored in originals:
        path = index[key][5]
        assert path in names
        with stored.open("rb") as f:
            assert zf.read(path) == f.read()

    pdf = next(n for n in names if n.endswith(".pdf"))
    document = pypdfium2.PdfDocument(zf.read(pdf))
    pages = [page.get_textpage().get_text_range() for page in document]
    # Every record is printed with its key, at or after the page the index gives.
    for key, entry in index.items():
        page = entry[4]
        assert isinstance(page, int) and 1 <= page <= len(pages), key
        printed = re.compile(re.escape(key) + r"(?!\d)")
        assert any(printed.search(text) for text in pages[page - 1 :]), key
    assert "目录" in pages[-1] and "三月主题党日" in pages[-1]
    assert ledger.counts["records"] == len(expected)
    assert ledger.sha256 and ledger.size == len(ledger.file.open("rb").read())


def test_a_second_request_while_building_is_the_same_ledger_and_each_request_is_audited(world):
    a = world.a
    with at(LATER):
        first = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2026)
        second = ledgers.request_ledger(actor=a.admin, branch=a.branch, year=2026)
    assert first.pk == second.pk and first.status == LedgerStatus.PENDING
    assert AuditEntry.objects.filter(action="themedays.ledger_request").count() == 1


def test_building_again_changes_nothing_and_an_empty_year_still_makes_a_ledger(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    with at(LATER), django_capture_on_commit_callbacks(execute=True):
        ledger = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2025)
    zf = ledger_zip(ledger)
    assert set(index_of(zf)) == set()
    sha = ledger.sha256
    ledgers.build_ledger(ledger.pk)
    ledger.refresh_from_db()
    assert ledger.sha256 == sha


@pytest.mark.parametrize("year", [1999, 2027, "x"])
def test_a_year_outside_2000_to_this_one_is_refused(world, year):
    with at(LATER), pytest.raises(DomainError) as exc:
        ledgers.request_ledger(actor=world.a.branch_admin, branch=world.a.branch, year=year)
    assert exc.value.code == "validation_error"
    assert not Ledger.objects.exists()


def test_only_the_branchs_admins_and_those_above_may_ask(world):
    a, b = world.a, world.b
    with at(LATER):
        for user in (world.city_admin, a.admin, a.branch_admin):
            ledgers.request_ledger(actor=user, branch=a.branch, year=2026)
        for user, code in (
            (b.admin, "not_found"),
            (b.branch_admin, "not_found"),
            (world.outsider, "not_found"),
            (a.member.user, "forbidden"),
        ):
            with pytest.raises(DomainError) as exc:
                ledgers.request_ledger(actor=user, branch=a.branch, year=2026)
            assert exc.value.code == code, user
        with pytest.raises(DomainError) as exc:
            ledgers.request_ledger(actor=a.admin, branch=a.town, year=2026)
        assert exc.value.code == "forbidden"


def test_a_ledger_is_downloaded_only_when_ready_and_only_in_scope(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    with at(LATER):
        pending = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2026)
        with pytest.raises(DomainError) as exc:
            ledgers.open_ledger(actor=a.branch_admin, ledger=pending)
        assert exc.value.code == "not_ready"
        ledgers.build_ledger(pending.pk)
        pending.refresh_from_db()
        handle, name = ledgers.open_ledger(actor=a.branch_admin, ledger=pending)
        with handle:
            assert handle.read(2) == b"PK"
        assert name.endswith("2026年台账.zip")
        for user in (world.b.admin, world.outsider, a.member.user):
            with pytest.raises(DomainError):
                ledgers.open_ledger(actor=user, ledger=pending)
    assert AuditEntry.objects.filter(action="themedays.ledger_download").count() == 1


def test_a_ledger_never_built_is_built_by_the_scheduled_sweep(world):
    a = world.a
    with at(LATER):
        # Asked for while Redis was down: the request committed, its task never ran.
        ledger = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2026)
    with at(LATER + ledgers.RESUME_AFTER / 2):
        assert ledgers.resume_ledgers() == 0
    with at(LATER + ledgers.RESUME_AFTER * 2):
        assert ledgers.resume_ledgers() == 1
        assert ledgers.resume_ledgers() == 0
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.READY


def test_a_build_that_breaks_marks_the_ledger_failed_and_raises_nothing(world, monkeypatch):
    from dangjian.themedays.ledger import render

    def broken(out, found):
        raise OSError("disk full")

    monkeypatch.setattr(render, "write_zip", broken)
    with at(LATER):
        ledger = ledgers.request_ledger(
            actor=world.a.branch_admin, branch=world.a.branch, year=2026
        )
        ledgers.build_ledger(ledger.pk)
    ledger.refresh_from_db()
    assert ledger.status == LedgerStatus.FAILED
    assert ledger.failure == "OSError: disk full" and not ledger.file
    with at(LATER), pytest.raises(DomainError) as exc:
        ledgers.open_ledger(actor=world.a.branch_admin, ledger=ledger)
    assert exc.value.code == "not_ready"


def test_a_missing_original_is_listed_as_missing_and_the_ledger_still_builds(
    world, django_capture_on_commit_callbacks
):
    a = world.a
    activity = build_year(world)
    photo = activity.photos.get()
    photo.image.storage.delete(photo.image.name)
    with at(LATER), django_capture_on_commit_callbacks(execute=True):
        ledger = ledgers.request_ledger(actor=a.branch_admin, branch=a.branch, year=2026)
    zf = ledger_zip(ledger)
    entry = index_of(zf)[f"photo:{photo.pk}"]
    assert entry[3].endswith("（原件缺失）") and entry[5] not in zf.namelist()
    assert ledger.counts["missing_originals"] == 1
