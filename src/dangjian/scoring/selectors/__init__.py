"""Reads for scoring shared by the pages and the API, by purpose:

- `periods`: the period asked for;
- `activities`: one activity's score and the roster behind it, one branch's months and
  activities;
- `rankings`: the branches of a scope ranked by their stored scores, or its children;
- `dashboards`: the dashboard's aggregates over the stored scores.

The names below are the reads callers use. The inputs of a score are counted in
`scoring.inputs` (what `services` recomputes from), the policy's versions are read in
`scoring.policies`."""

from dangjian.scoring.inputs import activity_month
from dangjian.scoring.selectors.activities import (
    RosterLine,
    ScoreView,
    branch_activities,
    branch_months,
    roster_lines,
    score_of,
)
from dangjian.scoring.selectors.dashboards import (
    BUCKETS,
    STAGE_ORDER,
    Dashboard,
    GroupProgress,
    branch_stages,
    bucket_of,
    dashboard,
    month_stages,
    signin_trend,
)
from dangjian.scoring.selectors.periods import current_period, parse_period
from dangjian.scoring.selectors.rankings import (
    LEVELS,
    BranchRow,
    RankedRow,
    RankingPages,
    branch_rows,
    org_score,
    ranking,
    ranking_page,
)

__all__ = [
    "BUCKETS",
    "LEVELS",
    "STAGE_ORDER",
    "BranchRow",
    "Dashboard",
    "GroupProgress",
    "RankedRow",
    "RankingPages",
    "RosterLine",
    "ScoreView",
    "activity_month",
    "branch_activities",
    "branch_months",
    "branch_rows",
    "branch_stages",
    "bucket_of",
    "current_period",
    "dashboard",
    "month_stages",
    "org_score",
    "parse_period",
    "ranking",
    "ranking_page",
    "roster_lines",
    "score_of",
    "signin_trend",
]
