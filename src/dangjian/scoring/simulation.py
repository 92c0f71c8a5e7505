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

Rows go in with COPY on PostgreSQL (a year for the city is about 12 million rows) and with
bulk_create elsewhere; each month is one transaction, and a month whose campaign already
exists is skipped, so running it again changes nothing."""

from __future__ import annotations

import io
import random
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from dangjian.attendance import geo
from dangjian.attendance.models import (
    ACCEPTED,
    AttemptKind,
    AttendanceRecord,
    AttendanceStatus,
    CheckInAttempt,
    LeaveRequest,
    RequestStatus,
)
from dangjian.audit import services as audit
from dangjian.core import bulk, clock
from dangjian.interaction.models import ActivityLike, Comment, Evidence, Photo, Rating, Summary
from dangjian.registry.models import Member, Organization, OrgKind, Role, RoleGrant
from dangjian.scoring import services as scoring
from dangjian.scoring.formula import Period, previous_months
from dangjian.themedays.models import (
    DEFAULT_OPTIONAL_ITEMS,
    DEFAULT_REQUIRED_ITEMS,
    Activity,
    ActivityEvent,
    ActivityStatus,
    Campaign,
    PlanningTask,
    RosterEntry,
)

# A theme for each calendar month, as a city's organization department might set them.
THEMES = {
    1: "新春走访慰问 温暖送到家",
    2: "学习贯彻全会精神",
    3: "学雷锋 志愿服务在行动",
    4: "缅怀革命先烈 传承红色基因",
    5: "劳动创造幸福 党员当先锋",
    6: "学党章 守党纪 强党性",
    7: "庆祝建党 重温入党誓词",
    8: "乡村振兴 党员先行",
    9: "为民办实事 服务解难题",
    10: "爱国主义教育 砥砺初心使命",
    11: "廉洁自律 警钟长鸣",
    12: "年终述职 民主评议党员",
}
REFLECTIONS = (
    "通过本次主题党日活动，深受教育。",
    "重温入党誓词，更加坚定了理想信念。",
    "要把学习成果转化为为民服务的实际行动。",
    "作为一名党员，要时刻以党章标准严格要求自己。",
    "感谢支部精心组织，收获很大。",
    "今后要在本职岗位上发挥先锋模范作用。",
    "学习了规定动作，对党的规矩有了更深的理解。",
    "听了大家的发言，找到了自身差距。",
    "要多为群众办实事、解难题。",
    "坚持学习不松劲，做合格党员。",
)
COMMENTS = (
    "活动很有意义，学到了很多。",
    "支部组织得很好，点赞！",
    "希望以后多开展这样的活动。",
    "内容丰富，形式新颖。",
    "在外地也要坚持学习，不掉队。",
)
REPLIES = ("同感！", "说得好。", "一起努力！", "赞同。")
SUMMARY_SENTENCES = (
    "活动开始前，全体党员面向党旗重温入党誓词。",
    "支部书记领学了本月学习内容，并结合本支部实际作了讲解。",
    "党员们按时足额缴纳了党费。",
    "会上通报了上月支部工作情况和本月工作安排。",
    "大家围绕本月主题开展讨论，踊跃发言，交流学习体会。",
    "会议就村（社区）重点事项开展民主议事，形成一致意见。",
    "对党务、村务（居务）事项进行了公开，接受群众监督。",
    "活动结束后，党员志愿者开展了走访慰问和义务劳动。",
    "通过本次活动，党员们进一步增强了党性观念和宗旨意识。",
    "下一步，支部将把学习成果转化为推动工作的实际成效。",
)
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) MicroMessenger/8.0.49",
    "Mozilla/5.0 (Linux; Android 14; V2309A) MicroMessenger/8.0.48",
    "Mozilla/5.0 (Linux; Android 13; HUAWEI Mate 40) MicroMessenger/8.0.47",
    "Mozilla/5.0 (Linux; Android 12; Redmi K40) AppleWebKit/537.36 Chrome/116 Mobile",
)
PLACEHOLDER_PHOTOS = 6
PLACEHOLDER_COLOURS = ("#c8102e", "#d9822b", "#a61b29", "#3b6e8f", "#5b8c5a", "#8c6d46")
# Activities per write batch: a batch's rows (about 60,000 at city scale) are built, then
# written table by table.
BATCH_ACTIVITIES = 1500
NOT_HELD_SHARE = 0.02
RATED_SHARE = 0.35


@dataclass
class SimulationReport:
    months: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))


@dataclass(frozen=True)
class _Branch:
    pk: int
    name: str
    depth: int
    path: str
    # (member id, user id, is_flowing, device id)
    members: tuple[tuple[int, int, bool, str], ...]
    admin_id: int | None
    reviewer_org_id: int
    reviewer_depth: int
    reviewer_id: int | None
    latitude: float
    longitude: float
    # Diligence: how the branch usually does, varied a little each month.
    turnout: float
    likes: float
    uploads: float


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


class _Simulation:
    def __init__(self, root: Organization, seed: int, report: SimulationReport, progress):
        self.root = root
        self.seed = seed
        self.report = report
        self.progress = progress
        self.pg = connection.vendor == "postgresql"
        self.tz = timezone.get_default_timezone()
        self.policy = settings.ACTIVITY_POLICY
        self.branches: list[_Branch] | None = None
        self.analyzed = False
        self.photos: list[tuple[str, str, int, int, int]] | None = None
        self.root_admin_id = (
            RoleGrant.objects.filter(org=root, role=Role.ADMIN)
            .order_by("pk")
            .values_list("user_id", flat=True)
            .first()
        )

    # Setup -------------------------------------------------------------------------------

    def _load_branches(self) -> list[_Branch]:
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
        admins: dict[str, tuple[int, int, int]] = {}
        for org_id, path, depth, user_id in (
            RoleGrant.objects.filter(role=Role.ADMIN, org__path__startswith=self.root.path)
            .order_by("org__path", "pk")
            .values_list("org_id", "org__path", "org__depth", "user_id")
        ):
            admins.setdefault(path, (org_id, depth, user_id))
        step = Organization.steplen
        branches = []
        for pk, name, depth, path in orgs:
            own = admins.get(path)
            # The reviewer: an admin of the nearest superior organization that has one, as
            # for plan review and rating (the city's admin when no other level has one).
            reviewer = (self.root.pk, self.root.depth, self.root_admin_id)
            for d in range(depth - 1, 0, -1):
                found = admins.get(path[: step * d])
                if found:
                    reviewer = found
                    break
            turnout = min(max(rng.gauss(0.86, 0.08), 0.45), 0.99)
            branches.append(
                _Branch(
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

    # Ids and writing ---------------------------------------------------------------------

    def _write(self, model: type[models.Model], names: tuple[str, ...], rows: list[tuple]):
        """Insert rows given as tuples of attribute values in the order of `names`."""
        if not rows:
            return
        t = time.perf_counter()
        self.report.rows[model._meta.label] += bulk.insert_rows(model, names, rows)
        self.report.seconds["write"] += time.perf_counter() - t

    def _skip_foreign_key_checks(self) -> bool:
        """On PostgreSQL, when the role may (a superuser, as in development), let this
        transaction skip the foreign-key triggers, as pg_restore --disable-triggers does:
        checking a month's million references at the commit took longer (about 25 s) than
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
            audit.record(
                actor=None,
                action="campaign.simulate",
                obj=campaign,
                org=self.root,
                after={"month": f"{month:%Y-%m}", "activities": len(held)},
            )
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
            holding_until=month.replace(day=25),
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
            ("campaign_id", "branch_id", "created_at"),
            [(campaign.pk, b, issued) for b in branch_ids],
        )
        return campaign

    def _activities(self, campaign: Campaign, branches: list[_Branch], rng: random.Random):
        t = time.perf_counter()
        month = campaign.month
        ids = bulk.reserve_ids(Activity, len(branches))
        activities, events, roster, leaves, records, attempts = [], [], [], [], [], []
        comments, replies, likes, photos, summaries, ratings = [], [], [], [], [], []
        photo_files = self.photos
        opens_before = self.policy["checkin_opens_before_min"]
        closes_after = self.policy["checkin_closes_after_min"]
        checkout_after = self.policy["checkout_closes_after_min"]
        agenda = list(campaign.required_items)
        rand, choice, randint, uniform = rng.random, rng.choice, rng.randint, rng.uniform
        attended_statuses = []
        # What the phone said about itself: nothing, one object for all (bulk prepares
        # each object once).
        no_client: dict = {}
        for activity_id, b in zip(ids, branches, strict=True):
            day = month.replace(day=randint(1, 25))
            hour = choice((dtime(9), dtime(9, 30), dtime(14, 30), dtime(15), dtime(19, 30)))
            starts = datetime.combine(day, hour, self.tz)
            ends = starts + timedelta(minutes=choice((90, 120, 120, 150)))
            checkin_opens = starts - timedelta(minutes=opens_before)
            checkout_closes = ends + timedelta(minutes=checkout_after)
            closed = checkout_closes + timedelta(seconds=randint(1, 59))
            created = starts - timedelta(days=randint(4, 15), hours=randint(0, 8))
            submitted = created + timedelta(hours=randint(1, 30))
            reviewed = submitted + timedelta(hours=randint(1, 40))
            frozen = starts + timedelta(seconds=randint(1, 59))
            lat = Decimal(f"{b.latitude + uniform(-0.0005, 0.0005):.6f}")
            lon = Decimal(f"{b.longitude + uniform(-0.0005, 0.0005):.6f}")
            activities.append(
                (
                    activity_id,
                    b.pk,
                    campaign.pk,
                    campaign.theme,
                    starts,
                    ends,
                    f"{b.name}党员活动室",
                    lat,
                    lon,
                    300,
                    agenda + [choice(DEFAULT_OPTIONAL_ITEMS)],
                    [],
                    opens_before,
                    closes_after,
                    checkout_after,
                    ActivityStatus.CLOSED,
                    secrets.token_urlsafe(24),
                    reviewed,
                    frozen,
                    b.admin_id,
                    created,
                    closed,
                    submitted,
                    reviewed,
                    closed,
                )
            )
            a, s, ap, c = (
                ActivityStatus.DRAFT,
                ActivityStatus.SUBMITTED,
                ActivityStatus.APPROVED,
                ActivityStatus.CLOSED,
            )
            events += [
                (activity_id, "draft", "", a, b.admin_id, created),
                (activity_id, "submit", a, s, b.admin_id, submitted),
                (activity_id, "approve", s, ap, b.reviewer_id, reviewed),
                (activity_id, "close", ap, c, None, closed),
            ]
            # Positions a phone reports at the venue (a few, reused: Decimals are slow).
            spots = []
            for _ in range(6):
                p_lat = float(lat) + uniform(-0.0008, 0.0008)
                p_lon = float(lon) + uniform(-0.0008, 0.0008)
                spots.append(
                    (
                        Decimal(f"{p_lat:.6f}"),
                        Decimal(f"{p_lon:.6f}"),
                        round(geo.distance_m(p_lat, p_lon, float(lat), float(lon))),
                    )
                )
            turnout = min(max(b.turnout + rng.gauss(0, 0.04), 0.3), 1.0)
            like_rate = min(max(b.likes + rng.gauss(0, 0.08), 0.0), 1.0)
            present = 0
            attended_statuses.clear()
            writers = []
            for member_id, user_id, flowing, device in b.members:
                roster.append((activity_id, member_id, flowing))
                comes = rand() < (0.08 if flowing else turnout)
                if comes:
                    present += 1
                    checked_in = checkin_opens + timedelta(seconds=randint(0, 2400))
                    lat_m, lon_m, dist = choice(spots)
                    ua = USER_AGENTS[member_id % len(USER_AGENTS)]
                    if rand() < 0.02:  # the phone's first fix was off: refused, then fine
                        attempts.append(
                            (
                                activity_id,
                                user_id,
                                member_id,
                                AttemptKind.CHECK_IN,
                                "out_of_range",
                                lat_m + Decimal("0.0100"),
                                lon_m,
                                65.0,
                                1100 + dist,
                                checked_in - timedelta(seconds=40),
                                None,
                                ua,
                                device,
                                no_client,
                            )
                        )
                    attempts.append(
                        (
                            activity_id,
                            user_id,
                            member_id,
                            AttemptKind.CHECK_IN,
                            ACCEPTED,
                            lat_m,
                            lon_m,
                            float(randint(8, 40)),
                            dist,
                            checked_in,
                            None,
                            ua,
                            device,
                            no_client,
                        )
                    )
                    if rand() < 0.92:
                        out = ends + timedelta(seconds=randint(0, checkout_after * 60 - 300))
                        attempts.append(
                            (
                                activity_id,
                                user_id,
                                member_id,
                                AttemptKind.CHECK_OUT,
                                ACCEPTED,
                                lat_m,
                                lon_m,
                                float(randint(8, 40)),
                                dist,
                                out,
                                None,
                                ua,
                                device,
                                no_client,
                            )
                        )
                        status = AttendanceStatus.CHECKED_OUT
                        updated = out
                        # Checking out requires the reflection: the member's comment.
                        comments.append(
                            [
                                None,
                                activity_id,
                                member_id,
                                None,
                                "".join(rng.sample(REFLECTIONS, randint(1, 3))),
                                True,
                                out,
                            ]
                        )
                        writers.append(member_id)
                    else:
                        status, out, updated = AttendanceStatus.NOT_CHECKED_OUT, None, closed
                    records.append(
                        (
                            activity_id,
                            member_id,
                            status,
                            checked_in,
                            dist,
                            out,
                            dist if out else None,
                            device,
                            None,
                            checked_in,
                            updated,
                        )
                    )
                elif rand() < (0.25 if flowing else 0.4):
                    leave_id = len(leaves)
                    asked = starts - timedelta(days=randint(1, 3), hours=randint(0, 10))
                    decided = asked + timedelta(hours=randint(1, 12))
                    leaves.append(
                        [
                            None,
                            activity_id,
                            member_id,
                            "外出务工" if flowing else choice(("身体不适", "家中有事", "出差")),
                            RequestStatus.APPROVED,
                            asked,
                            b.admin_id,
                            decided,
                        ]
                    )
                    records.append(
                        (
                            activity_id,
                            member_id,
                            AttendanceStatus.ON_LEAVE,
                            None,
                            None,
                            None,
                            None,
                            "",
                            leave_id,  # replaced by the leave's id once known
                            decided,
                            decided,
                        )
                    )
                else:
                    records.append(
                        (
                            activity_id,
                            member_id,
                            AttendanceStatus.ABSENT,
                            None,
                            None,
                            None,
                            None,
                            "",
                            None,
                            closed,
                            closed,
                        )
                    )
                if rand() < (like_rate if flowing else 0.15):
                    likes.append(
                        (activity_id, member_id, ends + timedelta(minutes=randint(5, 4000)))
                    )
                if rand() < (0.12 if flowing else 0.04):
                    comments.append(
                        [
                            None,
                            activity_id,
                            member_id,
                            None,
                            choice(COMMENTS),
                            False,
                            ends + timedelta(minutes=randint(10, 3000)),
                        ]
                    )
                    writers.append(member_id)
            if writers and rand() < 0.2:
                # A reply or two to the last comment written.
                parent_at = comments[-1][6]
                for _ in range(randint(1, 2)):
                    replies.append(
                        (
                            activity_id,
                            choice(writers),
                            len(comments) - 1,
                            choice(REPLIES),
                            parent_at + timedelta(minutes=randint(5, 600)),
                        )
                    )
            # Photos and the summary, by the branch during or just after the activity.
            if rand() < b.uploads:
                count = randint(2, 8) if rand() < 0.85 else 1
                for k in range(count):
                    name, thumb, width, height, size = photo_files[
                        (activity_id + k) % len(photo_files)
                    ]
                    kind = rand()
                    late = rand() < 0.04
                    at = (
                        closed + timedelta(hours=randint(1, 48))
                        if late
                        else starts
                        + timedelta(minutes=randint(10, int((closed - starts).seconds / 60)))
                    )
                    if kind < 0.7:
                        taken = starts + timedelta(minutes=randint(0, 90))
                        evidence, tmis, lmis = Evidence.VERIFIED, False, False
                        glat, glon, gdist = choice(spots)
                    elif kind < 0.95:
                        taken = glat = glon = gdist = None
                        evidence, tmis, lmis = Evidence.UNVERIFIED, False, False
                    else:
                        taken = starts - timedelta(days=randint(20, 200))
                        evidence, tmis, lmis = Evidence.FLAGGED, True, False
                        glat = glon = gdist = None
                    photos.append(
                        (
                            activity_id,
                            b.admin_id,
                            name,
                            thumb,
                            width,
                            height,
                            size,
                            "jpeg",
                            f"IMG_{month:%Y%m}{(activity_id * 7 + k) % 10000:04d}.jpg",
                            size * 3,
                            taken,
                            glat,
                            glon,
                            gdist,
                            evidence,
                            tmis,
                            lmis,
                            late,
                            at,
                        )
                    )
                if rand() < 0.92:
                    summaries.append(
                        (
                            activity_id,
                            self._summary(rng, day, b, len(b.members), present),
                            b.admin_id,
                            False,
                            closed - timedelta(minutes=randint(1, 40)),
                            closed - timedelta(minutes=randint(0, 1)),
                        )
                    )
            if rand() < RATED_SHARE:
                ratings.append(
                    (
                        activity_id,
                        b.reviewer_id,
                        b.reviewer_org_id,
                        b.reviewer_depth,
                        min(max(int(rng.gauss(86, 7)), 50), 100),
                        "",
                        True,
                        closed + timedelta(days=randint(1, 10)),
                    )
                )
        # A very few comments hidden by a superior, with the reason.
        hidden = {i for i in range(len(comments)) if not comments[i][5] and rand() < 0.01}
        self.report.seconds["build"] += time.perf_counter() - t

        self._write(
            Activity,
            (
                "id",
                "branch_id",
                "campaign_id",
                "title",
                "starts_at",
                "ends_at",
                "venue_address",
                "latitude",
                "longitude",
                "radius_m",
                "agenda",
                "optional_items",
                "checkin_opens_before_min",
                "checkin_closes_after_min",
                "checkout_closes_after_min",
                "status",
                "checkin_token",
                "token_generated_at",
                "roster_frozen_at",
                "created_by_id",
                "created_at",
                "updated_at",
                "submitted_at",
                "reviewed_at",
                "closed_at",
            ),
            activities,
        )
        self._write(
            ActivityEvent,
            ("activity_id", "action", "from_status", "to_status", "actor_id", "at"),
            events,
        )
        self._write(RosterEntry, ("activity_id", "member_id", "is_flowing"), roster)
        leave_ids = bulk.reserve_ids(LeaveRequest, len(leaves))
        for row, pk in zip(leaves, leave_ids, strict=True):
            row[0] = pk
        self._write(
            LeaveRequest,
            (
                "id",
                "activity_id",
                "member_id",
                "reason",
                "status",
                "requested_at",
                "decided_by_id",
                "decided_at",
            ),
            [tuple(r) for r in leaves],
        )
        self._write(
            AttendanceRecord,
            (
                "activity_id",
                "member_id",
                "status",
                "checked_in_at",
                "checkin_distance_m",
                "checked_out_at",
                "checkout_distance_m",
                "device_id",
                "leave_id",
                "created_at",
                "updated_at",
            ),
            [r if r[8] is None else r[:8] + (leave_ids[r[8]],) + r[9:] for r in records],
        )
        self._write(
            CheckInAttempt,
            (
                "activity_id",
                "user_id",
                "member_id",
                "kind",
                "code",
                "latitude",
                "longitude",
                "accuracy_m",
                "distance_m",
                "at",
                "ip",
                "user_agent",
                "device_id",
                "client",
            ),
            attempts,
        )
        comment_ids = bulk.reserve_ids(Comment, len(comments) + len(replies))
        names = (
            "id",
            "activity_id",
            "author_id",
            "parent_id",
            "body",
            "is_reflection",
            "created_at",
            "is_hidden",
            "hidden_reason",
            "hidden_by_id",
            "hidden_at",
        )
        rows = []
        reviewer_of = {b.pk: b.reviewer_id for b in branches}
        branch_of = dict(zip(ids, (b.pk for b in branches), strict=True))
        for i, (row, pk) in enumerate(zip(comments, comment_ids, strict=False)):
            row[0] = pk
            if i in hidden:
                at = row[6] + timedelta(hours=2)
                row += [True, "与活动无关", reviewer_of[branch_of[row[1]]], at]
            else:
                row += [False, "", None, None]
            rows.append(tuple(row))
        for (activity_id, author, parent, body, at), pk in zip(
            replies, comment_ids[len(comments) :], strict=True
        ):
            rows.append(
                (
                    pk,
                    activity_id,
                    author,
                    comment_ids[parent],
                    body,
                    False,
                    at,
                    False,
                    "",
                    None,
                    None,
                )
            )
        self._write(Comment, names, rows)
        self._write(ActivityLike, ("activity_id", "member_id", "created_at"), likes)
        self._write(
            Photo,
            (
                "activity_id",
                "uploaded_by_id",
                "image",
                "thumbnail",
                "width",
                "height",
                "size",
                "source_type",
                "original_name",
                "original_size",
                "taken_at",
                "gps_latitude",
                "gps_longitude",
                "distance_m",
                "evidence",
                "is_time_mismatch",
                "is_location_mismatch",
                "is_late",
                "created_at",
            ),
            photos,
        )
        self._write(
            Summary,
            ("activity_id", "text", "updated_by_id", "is_late", "created_at", "updated_at"),
            summaries,
        )
        self._write(
            Rating,
            (
                "activity_id",
                "rater_id",
                "rater_org_id",
                "rater_depth",
                "score",
                "remark",
                "is_current",
                "created_at",
            ),
            ratings,
        )

    def _summary(self, rng: random.Random, day: date, b: _Branch, roster: int, present: int):
        """A summary of 100–900 characters: some branches write a line, most a page."""
        text = (
            f"{day.year}年{day.month}月{day.day}日，{b.name}在党员活动室开展主题党日活动，"
            f"应到党员{roster}名，实到{present}名。"
        )
        target = rng.choice((100, 250, 400, 450, 600, 900))
        sentences: Iterable[str] = rng.sample(SUMMARY_SENTENCES, len(SUMMARY_SENTENCES))
        for sentence in sentences:
            if len(text) >= target:
                break
            text += sentence
        while len(text) < target:
            text += rng.choice(SUMMARY_SENTENCES)
        return text[:target]
