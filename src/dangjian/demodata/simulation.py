"""Past months of theme days for a seeded city, so that dashboards, rankings and the
benchmark (bench/dashboard.py) have a year of history: per month a campaign from the root,
distributed to every branch, and for (nearly) every branch one activity that was planned,
approved, held and closed, with the rows the real services leave behind, then scored by
the real scoring code (`services.recompute`). `manage.py seed --months N` runs it.

What a simulated closed activity has, as the services would have written it:

- the campaign and its planning tasks (the members' notices are not written);
- the activity (closed, check-in token, frozen roster) and its review history (draft,
  submit, approve, close events);
- the roster: the branch's active members, flowing flag as now;
- one attendance record per roster member, as the closing job leaves them: checked out
  (with the check-out's reflection as the member's comment), not checked out, absent, or
  on leave (with the approved leave request); an accepted attempt for every check-in and
  check-out, and a few refused ones (a first position out of range);
- likes (most flowing members, some others), a few more comments and replies (a very few
  hidden), photos (placeholder images stored once, with their evidence verdicts), the
  summary, and for about a third of the activities the superior's rating;
- one audit entry per simulated month (not one per row: the services' per-action entries
  would be some 8 million rows that nothing here reads).

Each branch has its own diligence (turnout, likes, uploads) so that scores spread and
rankings mean something; a few branches hold nothing in a month (scored 0). The data is
deterministic for a seed (apart from database ids and check-in tokens).

The rows of a batch of activities are built in `activities` and go in with `core.bulk`
(COPY on PostgreSQL: a year for the city is about 12 million rows); each month is one
transaction, and a month whose campaign already
exists is skipped, so running it again changes nothing."""

from __future__ import annotations

import io
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from dangjian import permissions
from dangjian.attendance.models import AttendanceRecord, CheckInAttempt
from dangjian.audit import services as audit
from dangjian.core import bulk, clock
from dangjian.demodata.activities import Batch, SimulatedBranch
from dangjian.demodata.texts import THEMES
from dangjian.interaction.models import ActivityLike, Comment, Photo
from dangjian.registry.models import Member, Organization, OrgKind, Role, RoleGrant
from dangjian.scoring import services as scoring
from dangjian.scoring.formula import Period, previous_months
from dangjian.themedays.models import (
    DEFAULT_OPTIONAL_ITEMS,
    DEFAULT_REQUIRED_ITEMS,
    Activity,
    Campaign,
    PlanningTask,
    RosterEntry,
)

PLACEHOLDER_PHOTOS = 6
PLACEHOLDER_COLOURS = ("#c8102e", "#d9822b", "#a61b29", "#3b6e8f", "#5b8c5a", "#8c6d46")
# Activities per write batch: a batch's rows (about 60,000 at city scale) are built, then
# written table by table.
BATCH_ACTIVITIES = 1500
NOT_HELD_SHARE = 0.02
# Turnout over the seasons, against a branch's usual: the Spring Festival's migrant workers
# away in February, the summer and autumn harvests; and a city that gets better at it, a
# point every two months of the year back.
SEASON = {1: -0.02, 2: -0.09, 3: -0.01, 5: 0.01, 6: -0.03, 7: -0.01, 9: 0.01, 10: -0.04}
PROGRESS_PER_MONTH = 0.005
# Branches whose theme day of the running month is always still to come.
LATE_BRANCHES = 6


def campaign_until(month: date) -> date:
    """The last day of a simulated campaign's window."""
    return month.replace(day=25)


def turnout_shift(month: date, today: date) -> float:
    back = (today.year - month.year) * 12 + today.month - month.month
    return SEASON.get(month.month, 0.0) - PROGRESS_PER_MONTH * max(back - 1, 0)


@dataclass
class SimulationReport:
    months: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def months_before(today: date, count: int) -> list[date]:
    """The `count` whole months before `today`'s month, oldest first."""
    if count <= 0:
        return []
    last = previous_months(today.replace(day=1), 2)[0]
    return previous_months(last, count)


def simulate(
    *,
    root: Organization,
    months: int,
    seed: int = 2026,
    progress: Callable[[str], None] = lambda _m: None,
) -> SimulationReport:
    """Simulate the `months` months before the current one under `root` (see the module's
    docstring). Months that already have a campaign from `root` are left alone."""
    report = SimulationReport()
    wanted = months_before(clock.today(), months)
    started = time.perf_counter()
    sim = _Simulation(root, seed, report, progress)
    for month in wanted:
        if Campaign.objects.filter(org=root, month=month, parent__isnull=True).exists():
            report.skipped.append(month)
            progress(f"{month:%Y-%m}: a campaign already exists, skipped")
            continue
        sim.month(month)
        report.months.append(month)
    if report.months and connection.vendor == "postgresql":
        # Fresh statistics for the dashboards' queries over the new rows.
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report.seconds["analyze"] += time.perf_counter() - t
    report.seconds["total"] = time.perf_counter() - started
    return report


@dataclass
class RunningMonth:
    """This month so far (`simulate_running_month`): its campaign, and the branches with
    members that have not held their theme day yet, with the day each keeps."""

    campaign: Campaign
    held: int
    waiting: list[tuple[SimulatedBranch, int]]


def theme_day(rng: random.Random) -> int:
    """The day of the month a branch keeps for its theme day: in the first days mostly
    (many counties fix it on the 1st to the 5th)."""
    return rng.randint(1, 5) if rng.random() < 0.75 else rng.randint(6, 25)


def simulate_running_month(
    *,
    root: Organization,
    seed: int = 2026,
    exclude: frozenset[int] = frozenset(),
    progress: Callable[[str], None] = lambda _m: None,
) -> RunningMonth | None:
    """The current month up to now, as `simulate` writes a past one: the campaign issued
    at the end of last month, and the theme days of the branches whose day is already
    over (held, closed, scored), with nothing dated after now; the other branches (and
    those in `exclude`) are returned for their plans to be made by the services. None
    when the month's campaign from `root` exists already."""
    today = clock.today()
    month = today.replace(day=1)
    if Campaign.objects.filter(org=root, month=month, parent__isnull=True).exists():
        return None
    sim = _Simulation(root, seed, SimulationReport(), progress)
    return sim.running_month(month, today, exclude)


class _Simulation:
    def __init__(self, root: Organization, seed: int, report: SimulationReport, progress):
        self.root = root
        self.seed = seed
        self.report = report
        self.progress = progress
        self.pg = connection.vendor == "postgresql"
        self.tz = timezone.get_default_timezone()
        self.policy = settings.ACTIVITY_POLICY
        self.branches: list[SimulatedBranch] | None = None
        self.analyzed = False
        self.photos: list[tuple[str, str, int, int, int]] | None = None
        self.root_admin_id = (
            RoleGrant.objects.filter(org=root, role=Role.ADMIN)
            .order_by("pk")
            .values_list("user_id", flat=True)
            .first()
        )

    # Setup -------------------------------------------------------------------------------

    def _load_branches(self) -> list[SimulatedBranch]:
        rng = random.Random(f"{self.seed}:branches")
        t = time.perf_counter()
        orgs = list(
            Organization.objects.filter(
                path__startswith=self.root.path, kind=OrgKind.BRANCH, is_active=True
            )
            .order_by("path")
            .values_list("pk", "name", "depth", "path")
        )
        members: dict[int, list] = defaultdict(list)
        for pk, user_id, branch_id, flowing in (
            Member.objects.filter(branch__path__startswith=self.root.path, is_active=True)
            .order_by("branch_id", "pk")
            .values_list("pk", "user_id", "branch_id", "is_flowing")
        ):
            # The phone's own random id, kept in its local storage: the same every month.
            members[branch_id].append((pk, user_id, flowing, f"{rng.getrandbits(64):016x}"))
        # The admins that count (on active organizations, active accounts), the first of
        # each organization: (organization id, depth, user id) by path.
        admins: dict[str, tuple[int, int, int]] = {}
        for org_id, path, depth, user_id in (
            RoleGrant.objects.filter(
                role=Role.ADMIN,
                org__path__startswith=self.root.path,
                org__is_active=True,
                user__is_active=True,
            )
            .order_by("org__path", "pk")
            .values_list("org_id", "org__path", "org__depth", "user_id")
        ):
            admins.setdefault(path, (org_id, depth, user_id))
        city = (self.root.pk, self.root.depth, self.root_admin_id)
        branches = []
        for pk, name, depth, path in orgs:
            own = admins.get(path)
            # Its plans are reviewed, and its activities rated, by the admins of the level
            # the rule names; the city's admin when no level has one.
            reviewing = permissions.reviewing_path(path, admins)
            reviewer = admins[reviewing] if reviewing else city
            turnout = min(max(rng.gauss(0.86, 0.08), 0.45), 0.99)
            branches.append(
                SimulatedBranch(
                    pk=pk,
                    name=name,
                    depth=depth,
                    path=path,
                    members=tuple(members.get(pk, ())),
                    admin_id=own[2] if own and own[0] == pk else None,
                    reviewer_org_id=reviewer[0],
                    reviewer_depth=reviewer[1],
                    reviewer_id=reviewer[2],
                    latitude=rng.uniform(32.70, 33.50),
                    longitude=rng.uniform(105.70, 108.20),
                    turnout=turnout,
                    likes=min(max(rng.gauss(0.6, 0.2), 0.05), 1.0),
                    uploads=min(max(rng.gauss(0.8, 0.18), 0.1), 1.0),
                )
            )
        self.report.seconds["load"] += time.perf_counter() - t
        self.progress(
            f"{len(branches)} branches, {sum(len(b.members) for b in branches)} members loaded"
        )
        return branches

    def _placeholder_photos(self) -> list[tuple[str, str, int, int, int]]:
        """A few generated images stored once, which every simulated photo points at, so
        that pages showing photos work. (name, thumbnail name, width, height, bytes)"""
        from PIL import Image, ImageDraw

        out = []
        for i in range(PLACEHOLDER_PHOTOS):
            name = f"photos/simulated/{i}.jpg"
            thumb = f"photos/simulated/{i}_t.jpg"
            width, height = 1280, 960
            if not default_storage.exists(name):
                image = Image.new("RGB", (width, height), PLACEHOLDER_COLOURS[i])
                draw = ImageDraw.Draw(image)
                for k in range(0, width, 160):
                    draw.rectangle([k, height - 200, k + 80, height - 120], fill="#f5e6c8")
                for target, img in ((name, image), (thumb, image.resize((480, 360)))):
                    buffer = io.BytesIO()
                    img.save(buffer, "JPEG", quality=80)
                    default_storage.save(target, ContentFile(buffer.getvalue()))
            out.append((name, thumb, width, height, default_storage.size(name)))
        return out

    # Writing -----------------------------------------------------------------------------

    def _write(self, model: type[models.Model], rows: Sequence, names: Sequence[str] = ()):
        """Insert rows given as tuples of attribute values in the order of `names`, or as
        model instances when no names are given."""
        if not rows:
            return
        t = time.perf_counter()
        if names:
            bulk.insert_rows(model, names, rows)
        else:
            bulk.insert(model, rows)
        self.report.rows[model._meta.label] += len(rows)
        self.report.seconds["write"] += time.perf_counter() - t

    def _skip_foreign_key_checks(self) -> bool:
        """On PostgreSQL, when the role may (a superuser, as in development), let this
        transaction skip the foreign-key triggers, as pg_restore --disable-triggers does:
        checking a month's million references at the commit took longer than
        writing them, and every id written was read from the database in this transaction.
        Without the privilege the checks run, only slower."""
        if not self.pg:
            return False
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            self.progress("foreign keys checked at each commit (not a superuser)")
            return False
        return True

    # One month ---------------------------------------------------------------------------

    def month(self, month: date) -> None:
        if self.branches is None:
            self.branches = self._load_branches()
            self.photos = self._placeholder_photos()
        rng = random.Random(f"{self.seed}:{month:%Y-%m}")
        t0 = time.perf_counter()
        with transaction.atomic():
            skipping = self._skip_foreign_key_checks()
            campaign = self._campaign(month)
            held = [b for b in self.branches if b.members and rng.random() >= NOT_HELD_SHARE]
            for start in range(0, len(held), BATCH_ACTIVITIES):
                self._activities(campaign, held[start : start + BATCH_ACTIVITIES], rng)
            self._audit_month(campaign, month, len(held))
            if skipping:  # the rest of an enclosing transaction checks again
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = origin")
        written = time.perf_counter() - t0
        if self.pg and not self.analyzed:
            # Statistics once the tables hold a month, so that scoring plans for millions
            # of rows rather than none; later months only scale them (the planner reads the
            # tables' current sizes), and `simulate` analyzes everything at the end.
            self.analyzed = True
            t = time.perf_counter()
            with connection.cursor() as cursor:
                for model in (
                    Activity,
                    RosterEntry,
                    AttendanceRecord,
                    CheckInAttempt,
                    Comment,
                    ActivityLike,
                    Photo,
                ):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            self.report.seconds["analyze"] += time.perf_counter() - t
        t = time.perf_counter()
        result = scoring.recompute(org=self.root, period=Period("month", month))
        scored = time.perf_counter() - t
        self.report.seconds["score"] += scored
        self.progress(
            f"{month:%Y-%m}: {len(held)} activities of {len(self.branches)} branches written "
            f"in {written:.1f} s, {result['activities']} scored in {scored:.1f} s"
        )

    def running_month(self, month: date, today: date, exclude: frozenset[int]) -> RunningMonth:
        self.branches = self._load_branches()
        self.photos = self._placeholder_photos()
        rng = random.Random(f"{self.seed}:{month:%Y-%m}:running")
        days = {b.pk: theme_day(rng) for b in self.branches}
        present = [b for b in self.branches if b.members]
        # The least diligent put it off: theirs is still to come until the campaign's last
        # days (a plan's date must lie in its window, to the 25th).
        last = campaign_until(month).day
        for k, b in enumerate(sorted(present, key=lambda b: (b.turnout, b.pk))[:LATE_BRANCHES]):
            days[b.pk] = min(max(days[b.pk], today.day + 1 + k % 3), last)
        held = [b for b in present if days[b.pk] < today.day and b.pk not in exclude]
        held_ids = {b.pk for b in held}
        waiting = [(b, days[b.pk]) for b in present if b.pk not in held_ids]
        with transaction.atomic():
            campaign = self._campaign(month)
            batch = Batch(
                campaign,
                policy=self.policy,
                tz=self.tz,
                photo_files=self.photos,
                rng=rng,
                until=clock.now(),
                turnout_shift=SEASON.get(month.month, 0.0),
            )
            for activity_id, branch in zip(
                bulk.reserve_ids(Activity, len(held)), held, strict=True
            ):
                batch.add(activity_id, branch, day=days[branch.pk])
            batch.write(self._write)
            self._audit_month(campaign, month, len(held))
        scoring.recompute(org=self.root, period=Period("month", month))
        self.progress(
            f"{month:%Y-%m} so far: {len(held)} of {len(self.branches)} branches held their "
            "theme day"
        )
        return RunningMonth(campaign=campaign, held=len(held), waiting=waiting)

    def _audit_month(self, campaign: Campaign, month: date, held: int) -> None:
        """What the simulation wrote of a month, in the audit as one entry (its activities
        bypass the services)."""
        audit.record(
            actor=None,
            action="campaign.simulate",
            obj=campaign,
            org=self.root,
            after={"month": f"{month:%Y-%m}", "activities": held},
        )

    def _campaign(self, month: date) -> Campaign:
        issued = datetime.combine(month - timedelta(days=5), dtime(10), self.tz)
        branch_ids = [b.pk for b in self.branches]
        campaign = Campaign.objects.create(
            org=self.root,
            month=month,
            theme=THEMES[month.month],
            guidance="请各党支部按照规定动作认真开展本月主题党日活动，及时上传活动照片和总结。",
            required_items=list(DEFAULT_REQUIRED_ITEMS),
            optional_items=list(DEFAULT_OPTIONAL_ITEMS),
            holding_from=month,
            holding_until=campaign_until(month),
            sectors=[],
            created_by_id=self.root_admin_id,
            created_at=issued,
            updated_at=issued,
            distribution_requested_at=issued,
            distributed_at=issued + timedelta(minutes=1),
            distributed_branches=len(branch_ids),
        )
        self._write(
            PlanningTask,
            [(campaign.pk, b, issued) for b in branch_ids],
            ("campaign_id", "branch_id", "created_at"),
        )
        return campaign

    def _activities(self, campaign: Campaign, branches: list[SimulatedBranch], rng) -> None:
        t = time.perf_counter()
        batch = Batch(
            campaign,
            policy=self.policy,
            tz=self.tz,
            photo_files=self.photos,
            rng=rng,
            turnout_shift=turnout_shift(campaign.month, clock.today()),
        )
        for activity_id, branch in zip(
            bulk.reserve_ids(Activity, len(branches)), branches, strict=True
        ):
            batch.add(activity_id, branch)
        self.report.seconds["build"] += time.perf_counter() - t
        batch.write(self._write)
