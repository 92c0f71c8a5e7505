"""Rankings over the stored branch rows: every branch of a scope with its score for a
period, ranked (whole or a page at a time, sorted in the database), the direct children
of an organization ranked by the mean of their branches, and the grouped counts the
dashboard adds up. Callers check access to the organization first
(`permissions.access_*`); everything here stays inside its subtree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Func, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Collate, Substr
from django.utils.translation import gettext as _

from dangjian.core.errors import DomainError
from dangjian.core.replica import reading_from_replica
from dangjian.registry.models import SECTOR_NAMES, Organization, OrgKind
from dangjian.registry.selectors import place_names
from dangjian.scoring import formula
from dangjian.scoring.formula import Period

LEVELS = ("branch", "children")


@dataclass(slots=True)
class BranchRow:
    org_id: int
    name: str
    path: str
    sector: str
    category: str
    score_hundredths: int = 0
    held_months: int = 0
    activity_id: int | None = None
    roster_non_flowing: int = 0
    checked_in_non_flowing: int = 0

    @property
    def score(self) -> Decimal:
        return formula.from_hundredths(self.score_hundredths)


@dataclass(slots=True)
class RankedRow:
    org_id: int
    name: str
    score_hundredths: int
    rank: int
    kind: str
    sector: str
    category: str
    branches: int = 1
    held: int = 0
    activity_id: int | None = None
    held_months: int = 0
    # The county and the town a branch is in (read only where asked for: `places`).
    county: str = ""
    town: str = ""

    @property
    def score(self) -> Decimal:
        return formula.from_hundredths(self.score_hundredths)

    @property
    def sector_name(self) -> str:
        return SECTOR_NAMES.get(self.sector, self.sector)


def scope_branches(org: Organization, period: Period, sector: str, category: str):
    """Every active branch under `org` (itself if it is one) with the sector and category,
    each left-joined (`stored`) to its stored row of the period if it has one."""
    branches = Organization.objects.filter(
        path__startswith=org.path, kind=OrgKind.BRANCH, is_active=True
    )
    if sector:
        branches = branches.filter(sector=sector)
    if category:
        branches = branches.filter(category=category)
    stored = FilteredRelation(
        "period_scores",
        condition=Q(period_scores__kind=period.kind, period_scores__period_start=period.start),
    )
    return branches.annotate(stored=stored).order_by()


def _scored_branches(
    org: Organization, period: Period, fields: tuple[str, ...], sector: str, category: str
):
    """The scope's branches as tuples: `fields` of the branch, then the stored row's score,
    held months, activity, roster and sign-ins (None without a row). One indexed query
    whatever the size of the scope."""
    return scope_branches(org, period, sector, category).values_list(
        *fields,
        "stored__score_hundredths",
        "stored__held_months",
        "stored__activity_id",
        "stored__roster_non_flowing",
        "stored__checked_in_non_flowing",
    )


@reading_from_replica()
def branch_rows(
    org: Organization, period: Period, *, sector: str = "", category: str = ""
) -> list[BranchRow]:
    """Every active branch under `org` (itself if it is one) with its stored score for the
    period (0 without one)."""
    return [
        BranchRow(
            pk, name, path, sec, cat, score or 0, held or 0, activity_id, roster or 0, ins or 0
        )
        for pk, name, path, sec, cat, score, held, activity_id, roster, ins in _scored_branches(
            org, period, ("pk", "name", "path", "sector", "category"), sector, category
        )
    ]


def _branch_ranked(
    pk, name, sector, category, score, rank, held_months, activity_id, county=None, town=None
):
    """A branch's ranked row from its stored row's values (None without one)."""
    return RankedRow(
        pk,
        name,
        score or 0,
        rank,
        OrgKind.BRANCH,
        sector,
        category,
        1,
        1 if held_months else 0,
        activity_id,
        held_months or 0,
        county or "",
        town or "",
    )


def _sorted_ranked(rows: list[RankedRow]) -> list[RankedRow]:
    # Integers (hundredths), not decimals: a city's 8,000 branches sort in a few ms.
    rows.sort(key=lambda r: (-r.score_hundredths, r.name, r.org_id))
    # Competition ranking (formula.competition_ranks), inlined: 8,000 calls fewer.
    previous, rank = None, 0
    for position, row in enumerate(rows, start=1):
        if row.score_hundredths != previous:
            rank, previous = position, row.score_hundredths
        row.rank = rank
    return rows


@reading_from_replica()
def ranking(
    org: Organization,
    period: Period,
    *,
    level: str = "branch",
    sector: str = "",
    category: str = "",
    places: bool = False,
) -> list[RankedRow]:
    """Rank within `org` for a period, best first, ties sharing a rank (1, 2, 2, 4).

    `branch`: every branch under the organization. `children`: its direct child
    organizations, each scored as the mean over its descendant branches (a branch child
    is its own score). Sector and category filter the branches that are ranked or
    averaged; a child with no such branch is left out. `places`: each branch with its
    county and town, read in the same query."""
    if level not in LEVELS:
        raise DomainError("validation_error", _("level 只能是 branch 或 children"), field="level")
    if level == "branch":
        fields = ("pk", "name", "sector", "category")
        found = scope_branches(org, period, sector, category)
        if places:
            found = found.annotate(**place_names())
            fields += ("county_name", "town_name")
        n = len(fields)
        return _sorted_ranked(
            [
                # pk, name, sector, category; score, rank (set by sorting), held months,
                # activity; county and town
                _branch_ranked(*row[:4], row[n], 0, row[n + 1], row[n + 2], *row[4:n])
                for row in found.values_list(
                    *fields,
                    "stored__score_hundredths",
                    "stored__held_months",
                    "stored__activity_id",
                )
            ]
        )
    return children_ranked(
        org,
        group_totals(scope_branches(org, period, sector, category), {"child": child_path(org)}),
    )


@reading_from_replica()
def ranking_page(
    org: Organization,
    period: Period,
    *,
    level: str = "branch",
    sector: str = "",
    category: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[RankedRow]]:
    """(how many are ranked, the `limit` rows from `offset`) of `ranking`, the same rows in
    the same order with the same ranks. The branch level is sorted and cut in the database
    (one query for the first page; for a later one, the cut, its rows' places and a count):
    a page of a province's 81,000 branches costs a sort of the scope, not windows over it."""
    if level != "branch":
        rows = ranking(org, period, level=level, sector=sector, category=category)
        return len(rows), rows[offset : offset + limit]
    score = score_hundredths()
    scope = scope_branches(org, period, sector, category)
    # Names in code-point order, as Python sorts them (the database's own collation may
    # order Chinese otherwise).
    name = Collate("name", "C" if connection.vendor == "postgresql" else "BINARY")
    # Counted once for the query (an uncorrelated subquery), not a COUNT(*) OVER () kept
    # for every branch of the scope before the page is cut.
    total = Coalesce(_count_of(scope.values("pk")), 0)
    ordered = scope.annotate(s=score, total=total).order_by("-s", name, "pk")
    fields = ("pk", "name", "sector", "category", "s", "stored__held_months", "stored__activity_id")
    if offset:
        # A later page is cut first and its rows named after: the rows it skips would each
        # run the county and town look-ups (PostgreSQL evaluates them before the OFFSET),
        # 81,000 of them on a province's last page, whose cost estimate also turned on JIT.
        cut = list(ordered.values_list(*fields, "total")[offset : offset + limit])
        places = {
            pk: (county, town)
            for pk, county, town in Organization.objects.filter(pk__in=[r[0] for r in cut])
            .annotate(**place_names())
            .values_list("pk", "county_name", "town_name")
        }
        found = [(*row[:7], *places[row[0]], row[7]) for row in cut]
    else:
        found = list(
            ordered.annotate(**place_names()).values_list(
                *fields, "county_name", "town_name", "total"
            )[:limit]
        )
    if not found:
        return scope.count(), []
    rows = [_branch_ranked(*row[:5], 0, *row[5:9]) for row in found]
    # Competition ranks (1, 2, 2, 4) from the positions: a row scoring as the one before
    # it shares its rank, any other ranks at its position in the whole ranking.
    rank = 1
    if offset:
        # Only the page's first rank needs what lies before the page: the rows scoring
        # more (an index range of the period's scores), counted once.
        rank += scope.filter(stored__score_hundredths__gt=rows[0].score_hundredths).count()
    previous = rows[0].score_hundredths
    for position, row in enumerate(rows, start=offset + 1):
        if row.score_hundredths != previous:
            rank, previous = position, row.score_hundredths
        row.rank = rank
    return found[0][9], rows


def _count_of(rows) -> Subquery:
    """COUNT(*) of a queryset's rows as a subquery (Django's documented `Func` pattern for
    an aggregate inside a `Subquery`)."""
    return Subquery(rows.annotate(n=Func(F("pk"), function="Count")).values("n"))


class RankingPages:
    """A ranking as a sequence for django.core.paginator: its length is one count and
    each slice one `ranking_page`, so showing a page never loads the others."""

    def __init__(
        self, org: Organization, period: Period, *, level: str, sector: str, category: str
    ):
        self.org, self.period = org, period
        self.filters = {"level": level, "sector": sector, "category": category}
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            if self.filters["level"] == "branch":
                self._count = scope_branches(
                    self.org, self.period, self.filters["sector"], self.filters["category"]
                ).count()
            else:
                self._count = len(ranking(self.org, self.period, **self.filters))
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("RankingPages only slices")
        start = item.start or 0
        stop = self.count() if item.stop is None else item.stop
        self._count, rows = ranking_page(
            self.org, self.period, offset=start, limit=max(stop - start, 0), **self.filters
        )
        return rows


def score_hundredths():
    """A branch's stored score of the period, 0 without a row."""
    return Coalesce(F("stored__score_hundredths"), 0)


def child_path(org: Organization):
    """The path of the direct child of `org` a branch is under."""
    return Substr("path", 1, len(org.path) + Organization.steplen)


def group_totals(branches, groups: dict | None = None) -> list[tuple]:
    """`branches` (from `scope_branches`) counted in the database by `groups` (name →
    expression): (*groups, branches, held, score sum in hundredths) per group, or one row
    for them all without groups. A city is then a couple of thousand grouped rows instead
    of 8,000 branches."""
    counts = {
        "n": Count("pk"),
        "held": Count("pk", filter=Q(stored__held_months__gt=0)),
        "total": Sum(score_hundredths()),
    }
    if not groups:
        found = branches.aggregate(**counts)
        return [(found["n"], found["held"], found["total"])]
    names = [f"g_{key}" for key in groups]
    return list(
        branches.annotate(**{f"g_{key}": value for key, value in groups.items()})
        .values(*names)
        .annotate(**counts)
        .values_list(*names, "n", "held", "total")
        .order_by()
    )


def children_ranked(org: Organization, totals: Iterable[tuple]) -> list[RankedRow]:
    """The direct children of `org` from (child path, branches, held, score sum) totals."""
    prefix_len = len(org.path) + Organization.steplen
    by_child: dict[str, list[int]] = {}
    for path, n, held, total in totals:
        if len(path) == prefix_len:  # a branch `org` itself has no children
            sums = by_child.setdefault(path, [0, 0, 0])
            sums[0] += n
            sums[1] += held
            sums[2] += total or 0
    children = Organization.objects.filter(path__in=list(by_child)).values_list(
        "path", "pk", "name", "kind", "sector", "category"
    )
    ranked = []
    for path, pk, name, kind, sec, cat in children:
        n, held, total = by_child[path]
        ranked.append(
            RankedRow(
                pk,
                name,
                formula.mean_hundredths([total], n),
                0,
                kind,
                sec,
                cat,
                branches=n,
                held=held,
            )
        )
    return _sorted_ranked(ranked)


def org_score(org: Organization, period: Period, *, sector: str = "", category: str = ""):
    """The mean over the organization's descendant branches (0 with none)."""
    ((n, _held, total),) = group_totals(scope_branches(org, period, sector, category))
    return formula.from_hundredths(formula.mean_hundredths([total or 0], n))
