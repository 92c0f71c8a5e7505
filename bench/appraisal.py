"""Benchmark: the annual appraisal (一年一考核) of the whole seeded city.

    createdb -h 127.0.0.1 -U postgres -T dangjian_bench dangjian_<you>_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_<you>_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/appraisal.py [--year 2026] [--no-weights]

Publishes a rule that weighs every figure (study package completion and volunteer hours
too, unless --no-weights: those two are only read where the rule weighs them), then, as
the city's admin and in this process as a request would: generates the year's appraisal
(every active branch's figures, score, rank and proposed grade), submits the largest
county's grades unchanged (the quota check over its whole set), changes one grade with a
reason, confirms the whole, and exports the results of the city as .xlsx. The year's
appraisal already in the database is deleted first, so that it can be run again. Never
point it at a database others use.
"""

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "log")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402

from dangjian.registry.models import Organization, Role, RoleGrant  # noqa: E402
from dangjian.scoring.models import BranchPeriodScore  # noqa: E402
from dangjian.supervision import appraisal, appraisal_selectors  # noqa: E402
from dangjian.supervision.models import Appraisal, AppraisalCounty, AppraisalEntry  # noqa: E402

GOAL_SECONDS = 60


class Timer:
    def __init__(self):
        self.steps: list[tuple[str, float, int]] = []

    def run(self, label, fn):
        reset_queries()
        started = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - started
        queries = len(connection.queries)
        self.steps.append((label, elapsed, queries))
        print(f"  {label}: {elapsed:.2f} s" + (f", {queries} queries" if queries else ""))
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, help="default: the latest year with year scores")
    parser.add_argument("--no-weights", action="store_true", help="study and volunteer at 0")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    grant = RoleGrant.objects.filter(role=Role.ADMIN, org=root).select_related("user").first()
    if grant is None:
        sys.exit("The city has no admin.")
    actor = grant.user
    year = args.year or (
        BranchPeriodScore.objects.filter(kind="year")
        .order_by("-period_start")
        .values_list("period_start__year", flat=True)
        .first()
    )
    branches = Organization.objects.filter(kind="branch", is_active=True).count()
    year_scores = BranchPeriodScore.objects.filter(kind="year", period_start__year=year).count()
    print(
        f"database: {connection.vendor}, city: {root.name}, branches: {branches}, year: {year}, "
        f"year scores: {year_scores}"
    )
    Appraisal.objects.filter(org=root, year=year).delete()
    weight = 0 if args.no_weights else 5
    rule = appraisal.publish_appraisal_rule(
        actor=actor,
        finding_deduction="2",
        overdue_deduction="3",
        send_back_deduction="1",
        study_weight=weight,
        volunteer_weight=weight,
        volunteer_hours_target="10",
        good_max_percent=20,
        fairly_good_max_percent=30,
        poor_min_percent=5,
        note="bench/appraisal.py",
    )
    print(f"rule v{rule.version}: study weight {weight}, volunteer weight {weight}")
    # Count queries (DEBUG off keeps no log otherwise).
    connection.force_debug_cursor = True
    timer = Timer()
    found = timer.run(
        "generate (figures, scores, ranks, proposals)",
        lambda: appraisal.generate_appraisal(actor=actor, org=root, year=year),
    )
    largest = (
        AppraisalCounty.objects.filter(appraisal=found)
        .select_related("appraisal", "county")
        .order_by("-branches")
        .first()
    )
    timer.run(
        f"a county's proposal ({largest.county.name}, {largest.branches} branches)",
        lambda: appraisal.propose_grades(actor=actor, part=largest, grades={}),
    )
    entry = AppraisalEntry.objects.filter(appraisal=found).select_related("appraisal").first()
    timer.run(
        "the city's change of one grade",
        lambda: appraisal.change_grade(
            actor=actor, entry=entry, grade="average", reason="bench/appraisal.py"
        ),
    )
    timer.run("confirm", lambda: appraisal.confirm_appraisal(actor=actor, appraisal=found))
    content, _name, _type = timer.run(
        "export the city (.xlsx)", lambda: appraisal_selectors.appraisal_xlsx(actor, found)
    )
    connection.force_debug_cursor = False
    total = sum(elapsed for _label, elapsed, _q in timer.steps)
    grades = dict(
        AppraisalEntry.objects.filter(appraisal=found)
        .values("final_grade")
        .annotate(n=Count("id"))
        .values_list("final_grade", "n")
    )
    sums = AppraisalEntry.objects.filter(appraisal=found)
    print(
        f"entries {sums.count()}, counties {found.counties.count()}, grades {grades}, "
        f"with findings {sums.filter(findings__gt=0).count()}, with overdue "
        f"{sums.filter(overdue__gt=0).count()}, "
        f"with send-backs {sums.filter(send_backs__gt=0).count()}, "
        f"xlsx {len(content) // 1024} KiB, "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    verdict = "met" if total < GOAL_SECONDS else "NOT met"
    print(f"the whole appraisal of the city: {total:.1f} s; goal < {GOAL_SECONDS} s: {verdict}")


if __name__ == "__main__":
    main()
