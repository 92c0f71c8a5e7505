"""Dashboards (数据看板): scores, rankings and progress of any organization in the admin's
scope for a month, quarter or year, drawn with ECharts (served from our own static files),
drilling down city → county → town → branch → activity → each member's attendance. Every
number links to the rows behind it; any ranking downloads as .xlsx.

Everything is read from the stored scores (scoring.selectors), never aggregated from
attendance rows per request."""

from collections import Counter
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_GET

from dangjian import permissions
from dangjian.console.decorators import admin_view
from dangjian.console.views.base import render_page, trail
from dangjian.core import clock
from dangjian.core.errors import DomainError
from dangjian.core.files import made_file
from dangjian.learning import packages
from dangjian.permissions import Action
from dangjian.registry import selectors as registry
from dangjian.registry.models import Organization, Sector
from dangjian.scoring import exports, formula, selectors
from dangjian.scoring.formula import Period
from dangjian.supervision import selectors as supervision

RANKING_PAGE_SIZE = 100
# The ranking page's chart: the page's first rows (a bar each).
RANKING_CHART_SIZE = 20
STAGE_LABELS = {
    "none": N_("未制定计划"),
    "planning": N_("计划中"),
    "approved": N_("已审核待开展"),
    "held": N_("已开展"),
}
KIND_LABELS = {"month": N_("月度"), "quarter": N_("季度"), "year": N_("年度")}


def _stage_label(stage: str) -> str:
    return _(STAGE_LABELS[stage])


# The dashboard's links name the branches without a category so.
UNCATEGORIZED = "-"


class Filters:
    """The period and the branch filters of a dashboard page, read from the query string
    (a bad period falls back to the current month, a category that no branch of the
    organization has is left out, each with a notice)."""

    def __init__(self, request, categories: list[str]):
        self.sector = request.GET.get("sector", "")
        if self.sector not in Sector.values:
            self.sector = ""
        self.categories = categories
        self.category = request.GET.get("category", "").strip()[:50]
        if self.category and self.category not in (*categories, UNCATEGORIZED):
            messages.error(request, _("没有这个分类：%s，已显示全部分类。") % self.category)
            self.category = ""
        text = request.GET.get("period", "").strip()
        self.period: Period = selectors.current_period("month")
        if text:
            try:
                self.period = selectors.parse_period(text)
            except DomainError as exc:
                messages.error(request, exc.message)

    def query(self, **extra) -> str:
        params = {"period": self.period.label}
        if self.sector:
            params["sector"] = self.sector
        if self.category:
            params["category"] = self.category
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    @property
    def description(self) -> str:
        parts = []
        if self.sector:
            parts.append(_("领域：%s") % dict(Sector.choices)[self.sector])
        if self.category:
            name = _("未分类") if self.category == UNCATEGORIZED else self.category
            parts.append(_("分类：%s") % name)
        return "，".join(str(p) for p in parts)


def _org_and_filters(request, org_id: int) -> tuple[Organization, Filters]:
    """The organization a dashboard page reads (in the admin's scope) and its filters."""
    org = permissions.access_org(request.user, org_id, Action.READ)
    categories = [] if org.is_branch else registry.branch_categories(org)
    return org, Filters(request, categories)


def _url(name: str, pk: int, query: str = "") -> str:
    url = reverse(f"console:{name}", args=[pk])
    return f"{url}?{query}" if query else url


def _period_choices(period: Period) -> dict:
    """Labels of the neighbouring and enclosing periods, for the period switcher."""
    return {
        "month": formula.month_of(period.start).label,
        "quarter": formula.quarter_of(period.start).label,
        "year": formula.year_of(period.start).label,
        "previous": formula.shift(period, -1).label,
        "next": formula.shift(period, 1).label,
    }


@require_GET
@admin_view
def home(request):
    org = registry.top_orgs(request.user).first()
    if org is None:
        raise permissions.not_found()
    return redirect("console:dashboard", org_id=org.pk)


@require_GET
@admin_view
def dashboard(request, org_id: int):
    actor = request.user
    org, f = _org_and_filters(request, org_id)
    if org.is_branch:
        return _branch_dashboard(request, org, f)
    dash = selectors.dashboard(org, f.period, sector=f.sector, category=f.category)
    ranking_url = lambda **q: _url("dashboard_ranking", org.pk, f.query(**q))  # noqa: E731
    children = [
        {
            "row": r,
            "url": _url("dashboard", r.org_id, f.query()),
            "branches_url": _url("dashboard_ranking", r.org_id, f.query()),
            "held_url": _url("dashboard_ranking", r.org_id, f.query(held="1")),
        }
        for r in dash.children
    ]
    sectors = [
        {
            "g": g,
            "url": ranking_url(sector=g.key) if not f.sector else ranking_url(),
            "held_url": ranking_url(sector=g.key, held="1"),
            "not_held_url": ranking_url(sector=g.key, held="0"),
        }
        for g in dash.by_sector
    ]
    categories = [
        {
            "g": g,
            "url": ranking_url(category=g.key or "-"),
            "held_url": ranking_url(category=g.key or "-", held="1"),
            "not_held_url": ranking_url(category=g.key or "-", held="0"),
        }
        for g in dash.by_category
    ]
    buckets = [
        {
            "label": f"{low}–{high}",
            "count": count,
            "url": ranking_url(min=low, max=high),
        }
        for (low, high), count in zip(selectors.BUCKETS, dash.distribution, strict=True)
    ]
    trend = [
        {
            "label": p.label,
            "rate": rate,
            "checked": checked,
            "roster": roster,
            "url": _url("dashboard", org.pk, _query(f, p)),
        }
        for p, rate, checked, roster in dash.signin_trend
    ]
    stages = [
        {"key": k, "label": _stage_label(k), "count": n, "url": ranking_url(stage=k)}
        for k, n in dash.stages.items()
    ]
    charts = {
        "ranking": {
            "names": [c["row"].name for c in children],
            "values": [float(c["row"].score) for c in children],
            "links": [c["url"] for c in children],
        },
        "sectors": {
            "names": [s["g"].label for s in sectors],
            "held": [s["g"].held for s in sectors],
            "not_held": [s["g"].branches - s["g"].held for s in sectors],
            "held_links": [s["held_url"] for s in sectors],
            "not_held_links": [s["not_held_url"] for s in sectors],
            "held_label": _("已开展"),
            "not_held_label": _("未开展"),
        },
        "trend": {
            "names": [t["label"] for t in trend],
            "values": [None if t["rate"] is None else float(t["rate"]) for t in trend],
            "links": [t["url"] for t in trend],
        },
        "distribution": {
            "names": [b["label"] for b in buckets],
            "values": [b["count"] for b in buckets],
            "links": [b["url"] for b in buckets],
        },
    }
    context = {
        "org": org,
        "f": f,
        "dash": dash,
        "children": children,
        "sectors": sectors,
        "categories": categories,
        "buckets": buckets,
        "trend": trend,
        "stages": stages,
        "charts": charts,
        "periods": _period_choices(f.period),
        "kind_label": _(KIND_LABELS[f.period.kind]),
        "dash_crumbs": _crumbs(actor, org, f),
        "sector_choices": Sector.choices,
        "overdue": supervision.overdue_count(actor, org),
        "activation": registry.dashboard_activation_rate(org),
        "ranking_url": ranking_url(),
        "held_url": ranking_url(held="1"),
        "not_held_url": ranking_url(held="0"),
        "children_ranking_url": ranking_url(level="children"),
    }
    return render_page(request, "console/dashboards/org.html", context)


def _query(f: Filters, period: Period) -> str:
    params = {"period": period.label}
    if f.sector:
        params["sector"] = f.sector
    if f.category:
        params["category"] = f.category
    return urlencode(params)


def _crumbs(actor, org: Organization, f: Filters) -> list[dict]:
    return [{"name": o.name, "url": _url("dashboard", o.pk, f.query())} for o in trail(actor, org)]


def _branch_dashboard(request, branch: Organization, f: Filters):
    actor = request.user
    year = f.period.start.year
    months = selectors.branch_months(branch, year)
    month_links = [
        _url("dashboard", branch.pk, _query(f, Period("month", date(year, m, 1))))
        for m in range(1, 13)
    ]
    rows = selectors.branch_rows(branch, f.period)
    row = rows[0] if rows else None
    quarter = selectors.branch_rows(branch, formula.quarter_of(f.period.start))
    whole_year = selectors.branch_rows(branch, formula.year_of(f.period.start))
    activities = list(selectors.branch_activities(branch, f.period))
    charts = {
        "months": {
            "names": [_("%d月") % m for m in range(1, 13)],
            "values": [float(r.score) if r else 0 for r in months],
            "links": month_links,
        }
    }
    context = {
        "org": branch,
        "f": f,
        "row": row,
        "quarter": quarter[0] if quarter else None,
        "year": whole_year[0] if whole_year else None,
        "quarter_label": formula.quarter_of(f.period.start).label,
        "year_label": formula.year_of(f.period.start).label,
        "quarter_url": _url("dashboard", branch.pk, _query(f, formula.quarter_of(f.period.start))),
        "year_url": _url("dashboard", branch.pk, _query(f, formula.year_of(f.period.start))),
        "activities": activities,
        "charts": charts,
        "periods": _period_choices(f.period),
        "kind_label": _(KIND_LABELS[f.period.kind]),
        "dash_crumbs": _crumbs(actor, branch, f),
        "overdue": supervision.overdue_count(actor, branch),
        "activation": registry.activation_rate(branch),
        "rectifications": [
            (r, r.is_overdue_on(clock.today()))
            for r in supervision.rectifications_in(actor, branch)[:20]
        ],
    }
    return render_page(request, "console/dashboards/branch.html", context)


def _ranking_rows(request, org: Organization, f: Filters, *, lazy: bool = False):
    """The ranking with the page's filters. `lazy`: without a filter that only Python
    applies (held, score range, stage, uncategorized), a sequence whose pages are read
    from the database one at a time (a city has 8,000 branches)."""
    level = request.GET.get("level", "branch")
    if level not in selectors.LEVELS:
        level = "branch"
    category = f.category
    held = request.GET.get("held", "")
    try:
        low = int(request.GET["min"]) if request.GET.get("min") else None
        high = int(request.GET["max"]) if request.GET.get("max") else None
    except ValueError:
        low = high = None
    stage = request.GET.get("stage", "")
    if not (stage in STAGE_LABELS and f.period.kind == "month" and level == "branch"):
        stage = ""
    plain = category != "-" and held not in ("0", "1") and low is None and high is None
    if lazy and plain and not stage:
        rows = selectors.RankingPages(
            org, f.period, level=level, sector=f.sector, category=category
        )
    else:
        rows = selectors.ranking(
            org,
            f.period,
            level=level,
            sector=f.sector,
            category="" if category == "-" else category,
            places=True,
        )
    if category == "-":  # "uncategorized" from the dashboard
        rows = [r for r in rows if not r.category]
    if held in ("0", "1"):
        rows = [r for r in rows if bool(r.held) == (held == "1")]
    if low is not None:
        rows = [r for r in rows if r.score >= low]
    if high is not None:
        # The top bucket includes 100.
        rows = [r for r in rows if r.score < high or (high >= 100 and r.score <= high)]
    if stage:
        stages = selectors.branch_stages(org, f.period.start)
        rows = [r for r in rows if stages.get(r.org_id, "none") == stage]
    applied = [f.description] if f.description else []
    if held in ("0", "1"):
        applied.append(_("已开展") if held == "1" else _("未开展"))
    if low is not None or high is not None:
        applied.append(_("得分 %(low)s–%(high)s") % {"low": low or 0, "high": high or 100})
    if stage:
        applied.append(_stage_label(stage))
    return (
        rows,
        level,
        "，".join(str(a) for a in applied if a),
        {
            "held": held,
            "min": low,
            "max": high,
            "stage": stage,
        },
    )


def _chart_name(row, repeated: Counter) -> str:
    if repeated[row.name] < 2 or not (row.town or row.county):
        return row.name
    return f"{row.name}（{row.town or row.county}）"


@require_GET
@admin_view
def ranking(request, org_id: int):
    actor = request.user
    org, f = _org_and_filters(request, org_id)
    rows, level, applied, extra = _ranking_rows(request, org, f, lazy=True)
    page = Paginator(rows, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    lines = [
        {
            "row": r,
            "url": _url("dashboard", r.org_id, f.query()),
            "activity_url": reverse("console:dashboard_activity", args=[r.activity_id])
            if r.activity_id
            else "",
        }
        for r in page.object_list
    ]
    query = f.query(level=level, **extra)
    shown = lines[:RANKING_CHART_SIZE]
    # Bars of the same name say which county (and town) each is in.
    repeated = Counter(line["row"].name for line in shown)
    chart = {
        "names": [_chart_name(line["row"], repeated) for line in shown],
        "values": [float(line["row"].score) for line in shown],
        "links": [line["url"] for line in shown],
    }
    context = {
        "chart": chart,
        "chart_height": 80 + 24 * len(shown),
        "org": org,
        "f": f,
        "level": level,
        "page": page,
        "lines": lines,
        "applied": applied,
        "total": len(rows),
        "query": query,
        "export_url": reverse("console:dashboard_ranking_export", args=[org.pk]) + "?" + query,
        "dash_crumbs": _crumbs(actor, org, f),
        "kind_label": _(KIND_LABELS[f.period.kind]),
        "sector_choices": Sector.choices,
        "other_level_url": _url(
            "dashboard_ranking",
            org.pk,
            f.query(level="children" if level == "branch" else "branch"),
        ),
    }
    return render_page(request, "console/dashboards/ranking.html", context)


@require_GET
@admin_view
def ranking_export(request, org_id: int):
    org, f = _org_and_filters(request, org_id)
    rows, level, applied, _extra = _ranking_rows(request, org, f)
    # The study package is monthly: a quarter's or a year's ranking has no such column.
    study = None
    if f.period.kind == "month":
        study = packages.completion_percent_by_org(f.period.start, org, [r.org_id for r in rows])
    return made_file(
        *exports.ranking_xlsx(org, f.period, rows, level=level, filters=applied, study=study)
    )


ROSTER_FILTERS = {
    "checked_in": (
        N_("已签到"),
        lambda line: line.attended and not line.is_flowing,
    ),
    "not_checked_in": (
        N_("未签到"),
        lambda line: not line.attended and not line.is_flowing,
    ),
    "non_flowing": (N_("非流动党员"), lambda line: not line.is_flowing),
    "flowing": (N_("流动党员"), lambda line: line.is_flowing),
    "flowing_liked": (N_("已点赞的流动党员"), lambda line: line.is_flowing and line.liked),
    "commented": (N_("已评论"), lambda line: line.commented),
    "on_leave": (N_("请假"), lambda line: line.status == "on_leave"),
    "corrected": (N_("经更正"), lambda line: line.is_corrected),
}


@require_GET
@admin_view
def activity(request, activity_id: int):
    actor = request.user
    activity = permissions.access_activity(actor, activity_id, Action.READ)
    activity = type(activity).objects.select_related("branch", "campaign").get(pk=activity.pk)
    try:
        score = selectors.score_of(activity)
    except DomainError:
        score = None
    lines = selectors.roster_lines(activity)
    show = request.GET.get("show", "")
    if show in ROSTER_FILTERS:
        shown = [line for line in lines if ROSTER_FILTERS[show][1](line)]
        show_label = _(ROSTER_FILTERS[show][0])
    else:
        show, shown, show_label = "", lines, ""
    base = reverse("console:dashboard_activity", args=[activity.pk])

    def link(key: str) -> str:
        return f"{base}?show={key}#roster"

    components = []
    if score is not None:
        names = {
            "sign_in": _("签到率"),
            "flowing_like": _("流动党员点赞率"),
            "upload": _("资料上传完整度"),
            "comment": _("评论率"),
            "superior": _("上级评分"),
        }
        i = score.inputs
        basis = {
            "sign_in": [
                (_("已签到"), i.checked_in_non_flowing, link("checked_in")),
                (_("非流动党员"), i.roster_non_flowing, link("non_flowing")),
            ],
            "flowing_like": [
                (_("已点赞"), i.liked_flowing, link("flowing_liked")),
                (_("流动党员"), i.roster_flowing, link("flowing")),
            ],
            "upload": [
                (_("照片"), i.photos, "#photos"),
                (_("总结字数"), i.summary_chars, "#summary"),
            ],
            "comment": [
                (_("已评论"), i.commenters, link("commented")),
                (_("应到党员"), i.roster, f"{base}#roster"),
            ],
            "superior": [(_("评分"), i.rating if i.rating is not None else "—", "#rating")],
        }
        for key, label in names.items():
            c = score.components.get(key)
            components.append({"label": label, "c": c, "basis": basis[key]})
    from dangjian.interaction import selectors as interaction

    month = selectors.activity_month(activity)
    context = {
        "activity": activity,
        "score": score,
        "components": components,
        "lines": shown,
        "all_count": len(lines),
        "show": show,
        "show_label": show_label,
        "filters": [(k, _(v[0]), link(k)) for k, v in ROSTER_FILTERS.items()],
        "photos": list(interaction.photos_of(activity)),
        "summary": interaction.summary_of(activity),
        "rating": interaction.current_rating(activity),
        "dash_crumbs": [
            {"name": o.name, "url": _url("dashboard", o.pk, f"period={month:%Y-%m}")}
            for o in trail(actor, activity.branch)
        ],
        "branch_url": _url("dashboard", activity.branch_id, f"period={month:%Y-%m}"),
    }
    return render_page(request, "console/dashboards/activity.html", context)
