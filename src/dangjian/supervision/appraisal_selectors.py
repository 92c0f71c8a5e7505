"""Reads of the annual appraisal: the rule's versions, the appraisals an admin reads, a
county's part with its grade counts against its quotas, the entries of a county, a
branch's star rating (星级评定), and the workbook of the results. Lists start from the
scoped querysets; one object is fetched through `permissions` first."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from dangjian import permissions
from dangjian.core.replica import reading_from_replica
from dangjian.core.spreadsheets import xlsx_row
from dangjian.notifications import jobs
from dangjian.registry.models import Organization
from dangjian.supervision import appraisal_rules as rules
from dangjian.supervision.models import (
    Appraisal,
    AppraisalCounty,
    AppraisalEntry,
    AppraisalRule,
    AppraisalStatus,
    Grade,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rule_versions() -> list[tuple[rules.AppraisalTerms, AppraisalRule | None]]:
    """Every version newest first, the built-in one last (no row); the first is in
    force."""
    rows = list(AppraisalRule.objects.select_related("published_by").order_by("-version"))
    return [(row.terms(), row) for row in rows] + [(rules.DEFAULT_TERMS, None)]


def appraisals_for(actor) -> QuerySet[Appraisal]:
    return permissions.scoped_appraisals(actor).select_related("org").order_by("-year", "org__path")


@dataclass(frozen=True)
class CountyProgress:
    part: AppraisalCounty
    counts: dict[str, int]  # grade → branches, as the grades stand
    quotas: rules.Quotas
    problems: list[str]  # the quotas its grades as they stand break

    @property
    def county(self) -> Organization:
        return self.part.county


def counties_of(actor, appraisal: Appraisal) -> list[CountyProgress]:
    """The counties' parts the actor reads, with their grades counted as they stand (the
    city's changes over the county's proposal over the system's): two queries."""
    parts = list(
        permissions.scoped_appraisal_counties(actor)
        .filter(appraisal=appraisal)
        .select_related("county", "submitted_by")
        .order_by("county__path")
    )
    grades: dict[int, list[str]] = {p.county_id: [] for p in parts}
    for county_id, final, city, county, proposed in AppraisalEntry.objects.filter(
        appraisal=appraisal, county_id__in=list(grades)
    ).values_list("county_id", "final_grade", "city_grade", "county_grade", "proposed_grade"):
        grades[county_id].append(final or city or county or proposed)
    terms = appraisal.rule_terms()
    return [
        CountyProgress(
            part=p,
            counts={g: Counter(grades[p.county_id])[g] for g in rules.GRADES},
            quotas=rules.quotas_for(p.branches, terms),
            problems=rules.quota_problems(grades[p.county_id], terms),
        )
        for p in parts
    ]


def entries_of(
    actor, appraisal: Appraisal, *, county: Organization | None = None
) -> QuerySet[AppraisalEntry]:
    """The entries of the appraisal the actor reads (of one county), best first."""
    qs = permissions.scoped_appraisal_entries(actor).filter(appraisal=appraisal)
    if county is not None:
        qs = qs.filter(county=county)
    return qs.select_related("branch", "county", "city_by").order_by(
        "county__path", "rank", "branch__path"
    )


@dataclass(frozen=True)
class StarRating:
    year: int
    grade: str
    stars: int

    @property
    def grade_label(self) -> str:
        return Grade(self.grade).label


def star_rating(branch: Organization) -> StarRating | None:
    """The branch's stars from its latest confirmed appraisal, None before any. The caller
    has fetched the branch in scope."""
    row = (
        AppraisalEntry.objects.filter(branch=branch, appraisal__status=AppraisalStatus.CONFIRMED)
        .order_by("-appraisal__year")
        .values_list("appraisal__year", "final_grade")
        .first()
    )
    if row is None:
        return None
    year, grade = row
    return StarRating(year=year, grade=grade, stars=rules.stars_for(grade))


@reading_from_replica()
def appraisal_xlsx(actor, appraisal: Appraisal, job=None) -> tuple[bytes, str, str]:
    """The results the actor reads as a workbook: one row a branch, its figures, score,
    rank and grades (the system's, the county's, the city's with its reason, the final).
    Counted on `job`, if any (appraisal.build_appraisal_export): the rows, then saving."""
    jobs.begin(job, total=2)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("年度考核"))
    for i, width in enumerate([24, 36, 8, 10, 8, 8, 8, 10, 10, 8, 10, 8, 8, 8, 30, 8], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    title = _("%(org)s %(year)d 年度考核结果（%(status)s，规则 v%(version)d）") % {
        "org": appraisal.org.name,
        "year": appraisal.year,
        "status": AppraisalStatus(appraisal.status).label,
        "version": appraisal.rule_version,
    }
    ws.append(xlsx_row(ws, [title]))
    ws.append([])
    header = [
        _("县区"),
        _("党支部"),
        _("县区排名"),
        _("月均得分"),
        _("检查问题"),
        _("逾期整改"),
        _("退回补充"),
        _("学习完成率（%）"),
        _("志愿服务时长"),
        _("党员数"),
        _("考核得分"),
        _("系统建议"),
        _("县区建议"),
        _("市级调整"),
        _("调整理由"),
        _("最终等次"),
    ]
    ws.append(xlsx_row(ws, header))
    labels = dict(Grade.choices)
    for e in entries_of(actor, appraisal).iterator(chunk_size=2000):
        ws.append(
            xlsx_row(
                ws,
                [
                    e.county.name,
                    e.branch.name,
                    e.rank,
                    float(e.mean),
                    e.findings,
                    e.overdue,
                    e.send_backs,
                    None if e.study_percent is None else float(e.study_percent),
                    None if e.volunteer_hours is None else float(e.volunteer_hours),
                    e.members,
                    float(e.total),
                    str(labels[e.proposed_grade]),
                    str(labels.get(e.county_grade, "")),
                    str(labels.get(e.city_grade, "")),
                    e.city_reason,
                    str(labels.get(e.final_grade, "")),
                ],
            )
        )
    jobs.advance(job, 1)
    out = io.BytesIO()
    wb.save(out)
    jobs.advance(job, 1)
    filename = f"{appraisal.org.name}-{appraisal.year}年度考核.xlsx"
    return out.getvalue(), filename, XLSX


__all__ = [
    "StarRating",
    "appraisal_xlsx",
    "appraisals_for",
    "counties_of",
    "entries_of",
    "rule_versions",
    "star_rating",
]
