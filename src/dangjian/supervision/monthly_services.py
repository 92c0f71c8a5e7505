"""Writes for monthly supervision (一月一督查): making each county's sheet for a month, once
(the county's row locked, the sheet unique per county and month), archiving its files and
reminding (催办) the listed branches' admins and the county's admins, each notice once (by
its dedupe key). The scheduled job makes the due month's sheets with nobody clicking; a city
admin may make a month's by hand, which is audited."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.notifications import jobs
from dangjian.notifications import services as notifications
from dangjian.orglife import selectors as orglife
from dangjian.registry.models import Organization, User
from dangjian.supervision import monthly, review_selectors
from dangjian.supervision.models import MonthlySheet
from dangjian.supervision.monthly_files import SheetContent, sheet_pdf, sheet_xlsx

NOTICE_KIND = "supervision"


@dataclass
class MonthRun:
    month: date
    made: list[MonthlySheet] = field(default_factory=list)
    existing: int = 0


def _items_missing(county: Organization, facts: list, month: date, now: datetime) -> dict:
    """How many of the standard required items each branch's held theme day of the month
    has not marked done (orglife)."""
    return orglife.missing_item_counts(county, month)


def _sent_back(county: Organization, facts: list, month: date, now: datetime) -> dict:
    """How many of the branch's records, of any month, were sent back and not resubmitted
    by their deadline (record review)."""
    overdue = review_selectors.unanswered_send_backs([f.branch_id for f in facts], now)
    return dict(Counter(s.branch_id for s in overdue))


def _columns() -> dict[str, monthly.Column]:
    """The other parts' columns of the sheet: items missing, records sent back."""
    return {"items_missing": _items_missing, "sent_back": _sent_back}


def _units(county: Organization) -> dict[str, str]:
    """path → name of the organizations directly under the county."""
    return dict(
        Organization.objects.filter(
            path__startswith=county.path, depth=county.depth + 1
        ).values_list("path", "name")
    )


def _content(county: Organization, month: date, policy: monthly.Policy) -> tuple:
    columns = _columns()
    facts = monthly.county_facts(county, month, **columns)
    rows = monthly.listed(facts, policy.sign_in_threshold)
    units = _units(county)
    step = len(county.path) + Organization.steplen
    content = SheetContent(
        county=county,
        month=month,
        threshold=policy.sign_in_threshold,
        branches=len(facts),
        rows=rows,
        units={r.facts.branch_id: units.get(r.facts.path[:step], "") for r in rows},
        generated_at=clock.now(),
        content_hash=monthly.content_hash(county.pk, month, policy.sign_in_threshold, rows),
        with_items="items_missing" in columns,
        with_sent_back="sent_back" in columns,
    )
    return content, monthly.reason_counts(rows)


@transaction.atomic
def _make_sheet(
    *, county: Organization, month: date, actor: User | None, policy: monthly.Policy
) -> MonthlySheet | None:
    """The county's sheet for the month, made now; None if it already has one. The county's
    row is locked first, so that two runs at once make one sheet and remind once."""
    county = Organization.objects.select_for_update().get(pk=county.pk)
    if MonthlySheet.objects.filter(county=county, month=month).exists():
        return None
    content, counts = _content(county, month, policy)
    sheet = MonthlySheet(
        county=county,
        month=month,
        generated_by=actor,
        generated_at=content.generated_at,
        sign_in_threshold=policy.sign_in_threshold,
        branches=content.branches,
        listed=len(content.rows),
        no_approved_plan=counts[monthly.NO_APPROVED_PLAN],
        not_held=counts[monthly.NOT_HELD],
        low_sign_in=counts[monthly.LOW_SIGN_IN],
        items_missing=counts[monthly.ITEMS_MISSING] if content.with_items else None,
        sent_back=counts[monthly.SENT_BACK] if content.with_sent_back else None,
        overdue_rectifications=counts[monthly.OVERDUE_RECTIFICATION],
        content_hash=content.content_hash,
    )
    name = f"monthly-{county.pk}-{month:%Y-%m}"
    sheet.xlsx.save(f"{name}.xlsx", ContentFile(sheet_xlsx(content)), save=False)
    sheet.pdf.save(f"{name}.pdf", ContentFile(sheet_pdf(content)), save=False)
    sheet.reminded_users = _remind(sheet, content)
    sheet.save()
    if actor is not None:
        audit.record(
            actor=actor,
            action="supervision.monthly_sheet",
            obj=sheet,
            org=county,
            label=_("%(county)s %(month)s 月度督查表")
            % {"county": county.name, "month": f"{month:%Y-%m}"},
            after={"month": f"{month:%Y-%m}", "listed": sheet.listed, **counts},
        )
    return sheet


def _remind(sheet: MonthlySheet, content: SheetContent) -> int:
    """催办: each listed branch's own admins get its reasons; the county's own admins get the
    sheet's summary; in-app and on the channels, a county's notices in a few inserts.
    Returns how many notices were created (none twice: dedupe keys)."""
    month = f"{sheet.month:%Y-%m}"
    admins = permissions.own_admin_user_ids(
        [r.facts.branch_id for r in content.rows] + [sheet.county_id]
    )
    notices = []
    for row in content.rows:
        f = row.facts
        reasons = "、".join(str(monthly.REASONS[r]) for r in row.reasons)
        notice = {
            "kind": NOTICE_KIND,
            "title": _("督查催办：%(branch)s %(month)s") % {"branch": f.name, "month": month},
            "body": _("%(month)s 月度督查发现：%(reasons)s。请尽快整改、补充并在平台上反馈。")
            % {"month": month, "reasons": reasons},
            "link": f"/console/orgs/{f.branch_id}/",
            "dedupe_key": f"supervision_monthly:{month}:{f.branch_id}",
        }
        notices += [{"user_id": user_id, **notice} for user_id in admins.get(f.branch_id, [])]
    county = {
        "kind": NOTICE_KIND,
        "title": _("%(county)s %(month)s 月度督查表已生成")
        % {"county": sheet.county.name, "month": month},
        "body": content.summary(),
        "link": f"/console/supervision/monthly/?month={month}",
        "dedupe_key": f"supervision_monthly:{month}:county:{sheet.county_id}",
    }
    notices += [{"user_id": user_id, **county} for user_id in admins.get(sheet.county_id, [])]
    return notifications.notify_each(notices)


def _make_month(month: date, actor: User | None, job=None) -> MonthRun:
    policy = monthly.policy()
    run = MonthRun(month=month)
    done = set(MonthlySheet.objects.filter(month=month).values_list("county_id", flat=True))
    counties = list(monthly.counties().order_by("path"))
    jobs.begin(job, total=len(counties))
    for county in counties:
        sheet = None
        if county.pk not in done:
            sheet = _make_sheet(county=county, month=month, actor=actor, policy=policy)
        if sheet is None:
            run.existing += 1
        else:
            run.made.append(sheet)
        jobs.advance(job, 1)
    return run


def make_due_monthly_sheets() -> int:
    """The scheduled job: the sheets of the month due today (monthly.month_due) that are not
    made yet. Returns how many it made."""
    month = monthly.month_due(clock.today(), monthly.policy().day)
    return len(_make_month(month, None).made)


def run_monthly_supervision(*, actor: User, month: date, watched: bool = False) -> MonthRun:
    """A city admin makes a finished month's sheets by hand: the counties that have none get
    theirs (and their reminders; each sheet audited with its maker); those that have one
    keep it. Each county's sheet is its own transaction, as in the scheduled job, so that a
    city's run holds no long transaction. `watched` (the console's click) keeps the run as
    a job of the admin's, a county a step, its summary and the month's page in their inbox
    (notifications.jobs)."""
    if not permissions.may_run_monthly_supervision(actor):
        raise permissions.forbidden()
    if not isinstance(month, date):
        raise DomainError("validation_error", _("请选择月份"), field="month")
    month = monthly.month_start(month)
    if month >= monthly.month_start(clock.today()):
        raise DomainError("month_not_finished", _("只能对已结束的月份进行督查"), field="month")
    job = None
    if watched:
        job = jobs.start_job(
            actor=actor,
            kind="monthly_sheets",
            subject=monthly_run_subject(month, actor),
            title=_("月度督查表：%s") % f"{month:%Y-%m}",
        )
    try:
        run = _make_month(month, actor, job)
    except Exception:
        jobs.fail(job)
        raise
    jobs.succeed(
        job,
        summary=_("%(month)s：新生成 %(made)d 份督查表，已有 %(existing)d 份。")
        % {"month": f"{month:%Y-%m}", "made": len(run.made), "existing": run.existing},
        result_url=f"/console/supervision/monthly/?month={month:%Y-%m}",
    )
    return run


def monthly_run_subject(month: date, actor: User) -> str:
    """What an admin's run by hand of a month is about (notifications.jobs)."""
    return f"monthly_sheets:{month:%Y-%m}:{actor.pk}"
