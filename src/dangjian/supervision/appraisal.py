"""Writes of the annual appraisal (一年一考核, docs/product.md, "Annual appraisal"): a root
admin publishes a version of the rule and generates a year's appraisal of the city (the
figures, scores, ranks and the grades the system proposes by rank within each county's
quotas); each county proposes its grades within quota; the city changes a grade with a
reason and confirms the whole, which locks it. Every step is permission-checked,
transactional and audited; a confirmed appraisal refuses every write."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Count, F, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dangjian import permissions
from dangjian.audit import services as audit
from dangjian.core import bulk, clock
from dangjian.core.errors import DomainError
from dangjian.core.text import checked_text
from dangjian.notifications import services as notifications
from dangjian.permissions import Action
from dangjian.registry.models import Organization, User
from dangjian.supervision import appraisal_rules as rules
from dangjian.supervision.appraisal_figures import branch_figures
from dangjian.supervision.models import (
    Appraisal,
    AppraisalCounty,
    AppraisalEntry,
    AppraisalRule,
    AppraisalStatus,
    Grade,
)

REASON_MAX_CHARS = 1000
FIRST_YEAR = 2000


# The rule ---------------------------------------------------------------------------------


def current_terms() -> rules.AppraisalTerms:
    """The rule in force: the latest published version, the built-in one before any."""
    row = AppraisalRule.objects.order_by("-version").first()
    return row.terms() if row is not None else rules.DEFAULT_TERMS


RULE_PROBLEMS = {
    "points_range": (gettext_lazy("扣分和加分权重应在 0 到 100 分之间"), "finding_deduction"),
    "volunteer_target": (gettext_lazy("人均志愿服务满分时长应大于 0"), "volunteer_hours_target"),
    "quota_range": (gettext_lazy("等次比例应在 0 到 100 之间"), "good_max_percent"),
    "quota_sum": (
        gettext_lazy("“好”“较好”比例上限与“差”比例下限之和不能超过 100%"),
        "good_max_percent",
    ),
}


def _decimal(value, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError("validation_error", _("请填写数字"), field=field) from None


@transaction.atomic
def publish_appraisal_rule(
    *,
    actor: User,
    finding_deduction,
    overdue_deduction,
    send_back_deduction,
    study_weight=0,
    volunteer_weight=0,
    volunteer_hours_target=10,
    good_max_percent: int,
    fairly_good_max_percent: int,
    poor_min_percent: int,
    note: str = "",
) -> AppraisalRule:
    """A root admin publishes a new version of the rule; appraisals generated from now on
    use it (those already generated keep theirs)."""
    permissions.require_root_admin(actor)
    points = {
        "finding_deduction": finding_deduction,
        "overdue_deduction": overdue_deduction,
        "send_back_deduction": send_back_deduction,
        "study_weight": study_weight,
        "volunteer_weight": volunteer_weight,
        "volunteer_hours_target": volunteer_hours_target,
    }
    values = {name: _decimal(value, name) for name, value in points.items()}
    note = checked_text(note, field="note", limit=300)
    version = max(2, (AppraisalRule.objects.aggregate(v=Max("version"))["v"] or 1) + 1)
    try:
        terms = rules.AppraisalTerms(
            version=version,
            good_max_percent=good_max_percent,
            fairly_good_max_percent=fairly_good_max_percent,
            poor_min_percent=poor_min_percent,
            **values,
        )
    except ValueError as exc:
        message, field = RULE_PROBLEMS[str(exc).split(";")[0]]
        raise DomainError("validation_error", str(message), field=field) from None
    row = AppraisalRule.objects.create(
        version=version,
        **values,
        good_max_percent=good_max_percent,
        fairly_good_max_percent=fairly_good_max_percent,
        poor_min_percent=poor_min_percent,
        note=note,
        published_at=clock.now(),
        published_by=actor,
    )
    audit.record(
        actor=actor,
        action="appraisal_rule.publish",
        obj=row,
        label=_("年度考核规则 v%d") % version,
        after={**terms.as_dict(), "note": note},
    )
    return row


# Generating --------------------------------------------------------------------------------


@transaction.atomic
def generate_appraisal(*, actor: User, org: Organization, year: int) -> Appraisal:
    """The city's appraisal for a year: every active branch's figures and score with the
    rule in force, its rank in its county and the grade the system proposes by rank
    within the county's quotas. One per organization and year."""
    if org.depth != 1:
        raise DomainError("validation_error", _("年度考核由市级组织生成"), field="org")
    permissions.require(actor, Action.SUPERVISE, org)
    if (
        isinstance(year, bool)
        or not isinstance(year, int)
        or not (FIRST_YEAR <= year <= clock.today().year)
    ):
        raise DomainError("validation_error", _("考核年度不正确"), field="year")
    if Appraisal.objects.filter(org=org, year=year).exists():
        raise DomainError("appraisal_exists", _("该年度的考核已经生成"))
    terms = current_terms()
    figures = branch_figures(org, year, terms)
    if not figures:
        raise DomainError("empty_scope", _("该组织下没有可考核的党支部"))
    appraisal = Appraisal.objects.create(
        org=org,
        year=year,
        rule_version=terms.version,
        terms=terms.as_dict(),
        status=AppraisalStatus.DRAFT,
        created_by=actor,
        created_at=clock.now(),
    )
    by_county: dict[int, dict[int, int]] = defaultdict(dict)
    totals = {}
    for f in figures:
        totals[f.branch_id] = rules.appraisal_hundredths(f.inputs, terms)
        by_county[f.county_id][f.branch_id] = totals[f.branch_id]
    ranks, grades = {}, {}
    for scores in by_county.values():
        ranks.update(rules.county_ranks(scores))
        grades.update(rules.propose_grades(scores, terms))
    AppraisalCounty.objects.bulk_create(
        [
            AppraisalCounty(appraisal=appraisal, county_id=county_id, branches=len(scores))
            for county_id, scores in by_county.items()
        ]
    )
    bulk.insert(
        AppraisalEntry,
        [
            AppraisalEntry(
                appraisal=appraisal,
                branch_id=f.branch_id,
                county_id=f.county_id,
                mean_hundredths=f.inputs.mean_hundredths,
                findings=f.inputs.findings,
                overdue=f.inputs.overdue,
                send_backs=f.inputs.send_backs,
                study_percent=None
                if f.inputs.study_share is None
                else rules.round_half_up(f.inputs.study_share * 100),
                volunteer_hours=f.inputs.volunteer_hours if terms.volunteer_weight else None,
                members=f.inputs.members,
                total_hundredths=totals[f.branch_id],
                rank=ranks[f.branch_id],
                proposed_grade=grades[f.branch_id],
            )
            for f in figures
        ],
    )
    _analyze(AppraisalEntry)
    audit.record(
        actor=actor,
        action="appraisal.generate",
        obj=appraisal,
        org=org,
        label=_("%(org)s %(year)d 年度考核") % {"org": org.name, "year": year},
        after={"year": year, "rule_version": terms.version, "branches": len(figures)},
    )
    _tell_counties(
        appraisal,
        _("%d 年度考核已生成") % year,
        "generated",
        body=_("请审核本县区党支部的建议等次，在比例内调整后上报。"),
    )
    return appraisal


def _analyze(model) -> None:
    """A city's entries arrive at once: without fresh statistics PostgreSQL takes the table
    for nearly empty and plans the reads of the pages and the export (a cursor's above all)
    as nested loops over every organization."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _draft(appraisal: Appraisal) -> Appraisal:
    """The appraisal read again under lock, refused once confirmed: a confirmation and a
    change never cross."""
    locked = Appraisal.objects.select_for_update().select_related("org").get(pk=appraisal.pk)
    if locked.is_confirmed:
        raise DomainError("already_confirmed", _("年度考核结果已确认归档，不能再修改"))
    return locked


# The county's proposal ---------------------------------------------------------------------

QUOTA_MESSAGES = {
    rules.GOOD: gettext_lazy("“好”等次超过了本县区的比例上限（%(n)d 个）"),
    rules.FAIRLY_GOOD: gettext_lazy("“较好”等次超过了本县区的比例上限（%(n)d 个）"),
    rules.POOR: gettext_lazy("“差”等次少于本县区的比例下限（%(n)d 个）"),
}


@transaction.atomic
def propose_grades(
    *, actor: User, part: AppraisalCounty, grades: dict[int, str]
) -> AppraisalCounty:
    """A county proposes (or adjusts) its branches' grades, `grades` naming those it sets
    (branch id → grade; the others keep the system's proposal or the county's earlier
    one), and submits the whole to the city. The county's grades must keep its quotas
    (`quota_exceeded` for a ceiling passed, `quota_not_met` for the 差 floor)."""
    permissions.require(actor, Action.CHANGE, part)
    appraisal = _draft(part.appraisal)
    if any(g not in Grade.values for g in grades.values()):
        raise DomainError("validation_error", _("等次只能是好、较好、一般或差"), field="grades")
    entries = {e.branch_id: e for e in part.appraisal.entries.filter(county_id=part.county_id)}
    unknown = set(grades) - set(entries)
    if unknown:
        raise DomainError(
            "validation_error",
            _("党支部不在本县区的考核名单中"),
            field="grades",
            branches=sorted(unknown),
        )
    terms = appraisal.rule_terms()
    proposed = {
        pk: grades.get(pk) or e.county_grade or e.proposed_grade for pk, e in entries.items()
    }
    problems = rules.quota_problems(proposed.values(), terms)
    if problems:
        quotas = rules.quotas_for(len(proposed), terms)
        limit = {
            rules.GOOD: quotas.good_max,
            rules.FAIRLY_GOOD: quotas.fairly_good_max,
            rules.POOR: quotas.poor_min,
        }
        first = problems[0]
        code = "quota_not_met" if first == rules.POOR else "quota_exceeded"
        raise DomainError(
            code, QUOTA_MESSAGES[first] % {"n": limit[first]}, field="grades", grade=first
        )
    now = clock.now()
    changed = []
    for pk, grade in grades.items():
        entry = entries[pk]
        if entry.county_grade != grade:
            changed.append(
                {
                    "branch_id": pk,
                    "before": entry.county_grade or entry.proposed_grade,
                    "after": grade,
                }
            )
            entry.county_grade = grade
            entry.county_by = actor
            entry.county_at = now
    AppraisalEntry.objects.bulk_update(
        [entries[c["branch_id"]] for c in changed], ["county_grade", "county_by", "county_at"]
    )
    part.submitted_by = actor
    part.submitted_at = now
    part.save(update_fields=["submitted_by", "submitted_at"])
    audit.record(
        actor=actor,
        action="appraisal.propose",
        obj=appraisal,
        org=part.county,
        label=_("%(county)s %(year)d 年度考核等次上报")
        % {"county": part.county.name, "year": appraisal.year},
        after={"county_id": part.county_id, "changes": changed},
    )
    return part


# The city's decision -----------------------------------------------------------------------


@transaction.atomic
def change_grade(*, actor: User, entry: AppraisalEntry, grade: str, reason: str) -> AppraisalEntry:
    """The city changes a branch's grade, always with its reason (the county's quotas bind
    the counties' proposals, not the city's decision)."""
    permissions.require(actor, Action.REVIEW, entry)
    if grade not in Grade.values:
        raise DomainError("validation_error", _("等次只能是好、较好、一般或差"), field="grade")
    reason = checked_text(
        reason,
        field="reason",
        missing=_("市级调整等次须说明理由"),
        missing_code="reason_required",
        limit=REASON_MAX_CHARS,
    )
    _draft(entry.appraisal)
    entry = (
        AppraisalEntry.objects.select_for_update()
        .select_related("branch", "appraisal")
        .get(pk=entry.pk)
    )
    before = {"grade": entry.grade, "city_reason": entry.city_reason}
    entry.city_grade = grade
    entry.city_reason = reason
    entry.city_by = actor
    entry.city_at = clock.now()
    entry.save(update_fields=["city_grade", "city_reason", "city_by", "city_at"])
    audit.record(
        actor=actor,
        action="appraisal.change_grade",
        obj=entry.appraisal,
        org=entry.branch,
        label=_("%(branch)s %(year)d 年度考核等次调整")
        % {"branch": entry.branch.name, "year": entry.appraisal.year},
        before=before,
        after={"branch_id": entry.branch_id, "grade": grade, "city_reason": reason},
    )
    return entry


@transaction.atomic
def confirm_appraisal(*, actor: User, appraisal: Appraisal) -> Appraisal:
    """The city confirms the year's grades (its changes over the counties' proposals over
    the system's): each entry's final grade is fixed, the appraisal is archived and locked,
    and the branches' star ratings follow from it. The counties' admins are told."""
    permissions.require(actor, Action.REVIEW, appraisal)
    appraisal = _draft(appraisal)
    entries = AppraisalEntry.objects.filter(appraisal=appraisal)
    entries.update(final_grade=F("proposed_grade"))
    entries.exclude(county_grade="").update(final_grade=F("county_grade"))
    entries.exclude(city_grade="").update(final_grade=F("city_grade"))
    now = clock.now()
    appraisal.status = AppraisalStatus.CONFIRMED
    appraisal.confirmed_by = actor
    appraisal.confirmed_at = now
    appraisal.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    counts = dict(
        entries.values("final_grade").annotate(n=Count("id")).values_list("final_grade", "n")
    )
    audit.record(
        actor=actor,
        action="appraisal.confirm",
        obj=appraisal,
        org=appraisal.org,
        label=_("%(org)s %(year)d 年度考核") % {"org": appraisal.org.name, "year": appraisal.year},
        after={"status": appraisal.status, "grades": counts},
    )
    _tell_counties(appraisal, _("%d 年度考核结果已确认") % appraisal.year, "confirmed")
    return appraisal


def _tell_counties(appraisal: Appraisal, title: str, step: str, body: str = "") -> None:
    """A notice to the admins of each county of the appraisal (their own, on the county)."""
    told = [
        user_id
        for part in appraisal.counties.select_related("county")
        for user_id in permissions.branch_admin_user_ids(part.county)
    ]
    notifications.notify(
        user_ids=told,
        kind="appraisal",
        title=title,
        body=body,
        link=f"/console/supervision/appraisals/{appraisal.pk}/",
        dedupe_key=f"appraisal-{step}-{appraisal.pk}",
    )


def start_appraisal_export(*, actor: User, appraisal: Appraisal):
    """The click on "生成导出文件": the results workbook built in the background as a job of
    the actor's (notifications.export_files), ended with its download link. The caller has
    fetched the appraisal in scope (permissions.access_appraisal)."""
    from dangjian.notifications import export_files

    return export_files.start_export(
        actor=actor,
        kind="appraisal_export",
        target_id=appraisal.pk,
        title=_("导出年度考核：%(org)s %(year)d年")
        % {"org": appraisal.org.name, "year": appraisal.year},
        org=appraisal.org,
    )


def build_appraisal_export(job, appraisal_id: int) -> tuple[bytes, str, str]:
    """The export job's builder (notifications.export_files): the appraisal as the asker
    reads it now (not_found once out of their scope)."""
    from dangjian.supervision import appraisal_selectors

    found = permissions.access_appraisal(job.actor, appraisal_id)
    return appraisal_selectors.appraisal_xlsx(job.actor, found, job=job)
