"""One batch of simulated theme days (see `simulation`): for each branch an activity that
was planned, approved, held and closed, with the rows the real services leave behind,
built as tuples activity by activity, then written table by table."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from dangjian.attendance import geo
from dangjian.attendance.models import (
    ACCEPTED,
    AttemptKind,
    AttendanceRecord,
    AttendanceStatus,
    CheckInAttempt,
    LeaveRequest,
    RequestStatus,
    record_month,
)
from dangjian.core import bulk
from dangjian.demodata import texts
from dangjian.interaction.models import ActivityLike, Comment, Evidence, Photo, Rating, Summary
from dangjian.themedays.models import (
    DEFAULT_OPTIONAL_ITEMS,
    Activity,
    ActivityEvent,
    ActivityStatus,
    Campaign,
    RosterEntry,
)

RATED_SHARE = 0.35
HOURS = (dtime(9), dtime(9, 30), dtime(14, 30), dtime(15), dtime(19, 30))
ATTEMPT_COLUMNS = (
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
)
RECORD_COLUMNS = (
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
    "month",
)
LEAVE_COLUMNS = (
    "id",
    "activity_id",
    "member_id",
    "reason",
    "status",
    "requested_at",
    "decided_by_id",
    "decided_at",
)
COMMENT_COLUMNS = (
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
PHOTO_COLUMNS = (
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
)
SUMMARY_COLUMNS = ("activity_id", "text", "updated_by_id", "is_late", "created_at", "updated_at")
RATING_COLUMNS = (
    "activity_id",
    "rater_id",
    "rater_org_id",
    "rater_depth",
    "score",
    "remark",
    "is_current",
    "created_at",
)
EVENT_COLUMNS = ("activity_id", "action", "from_status", "to_status", "actor_id", "at")
Writer = Callable[..., None]


@dataclass(frozen=True)
class SimulatedBranch:
    pk: int
    name: str
    depth: int
    path: str
    # (member id, user id, is_flowing, device id)
    members: tuple[tuple[int, int, bool, str], ...]
    admin_id: int | None
    # Who reviews its plans and rates its activities (`permissions.reviewing_path`).
    reviewer_org_id: int
    reviewer_depth: int
    reviewer_id: int | None
    latitude: float
    longitude: float
    # Diligence: how the branch usually does, varied a little each month.
    turnout: float
    likes: float
    uploads: float


@dataclass(frozen=True)
class _Times:
    """When an activity was planned, reviewed, held and closed."""

    day: date
    starts: datetime
    ends: datetime
    checkin_opens: datetime
    closed: datetime
    created: datetime
    submitted: datetime
    reviewed: datetime
    frozen: datetime


class Batch:
    """The rows of a batch of a campaign's activities, one branch each (`add`), kept until
    `write` puts them in the database table by table."""

    def __init__(
        self,
        campaign: Campaign,
        *,
        policy: dict,
        tz,
        photo_files,
        rng: random.Random,
        until: datetime | None = None,
        turnout_shift: float = 0.0,
    ):
        self.campaign = campaign
        # How the month went for every branch (the season, the year's progress).
        self.turnout_shift = turnout_shift
        # The present, for a month still running: nothing after it is written (likes,
        # comments, late photos and ratings still to come).
        self.until = until
        self.rng = rng
        self.tz = tz
        self.photo_files = photo_files
        self.opens_before = policy["checkin_opens_before_min"]
        self.closes_after = policy["checkin_closes_after_min"]
        self.checkout_after = policy["checkout_closes_after_min"]
        self.agenda = list(campaign.required_items)
        self.activities: list[Activity] = []
        self.events: list[tuple] = []
        self.roster: list[tuple] = []
        self.leaves: list[list] = []
        self.records: list[tuple] = []
        self.attempts: list[tuple] = []
        # Before their ids are known: (activity, author, body, is reflection, at), and
        # replies (activity, author, the index of the comment answered, body, at).
        self.comments: list[tuple] = []
        self.replies: list[tuple] = []
        self.likes: list[tuple] = []
        self.photos: list[tuple] = []
        self.summaries: list[tuple] = []
        self.ratings: list[tuple] = []
        # Who hides a comment under an activity: the branch's reviewer.
        self.reviewer_of: dict[int, int | None] = {}
        # What the phone said about itself: nothing. One object for every attempt, so
        # that it is prepared for the database once (core.bulk).
        self.no_client: dict = {}

    def _past(self, at: datetime) -> bool:
        return self.until is None or at <= self.until

    def add(self, activity_id: int, b: SimulatedBranch, day: int | None = None) -> None:
        """The branch's activity of the month (on `day`, or a day drawn) and all that
        members did around it."""
        times = self._times(day)
        rng = self.rng
        lat = Decimal(f"{b.latitude + rng.uniform(-0.0005, 0.0005):.6f}")
        lon = Decimal(f"{b.longitude + rng.uniform(-0.0005, 0.0005):.6f}")
        self.reviewer_of[activity_id] = b.reviewer_id
        self._plan(activity_id, b, times, lat, lon)
        spots = self._spots(lat, lon)
        present, writers = self._attendance(activity_id, b, times, spots)
        if writers and rng.random() < 0.2:
            self._replies(activity_id, writers)
        # Photos and the summary, by the branch during or just after the activity.
        if rng.random() < b.uploads:
            self._photos(activity_id, b, times, spots)
            if rng.random() < 0.92:
                self._summary(activity_id, b, times, present)
        if rng.random() < RATED_SHARE:
            self._rating(activity_id, b, times)

    # The activity ----------------------------------------------------------------------

    def _times(self, day: int | None = None) -> _Times:
        randint, choice = self.rng.randint, self.rng.choice
        day = self.campaign.month.replace(day=day or randint(1, 25))
        starts = datetime.combine(day, choice(HOURS), self.tz)
        ends = starts + timedelta(minutes=choice((90, 120, 120, 150)))
        checkout_closes = ends + timedelta(minutes=self.checkout_after)
        closed = checkout_closes + timedelta(seconds=randint(1, 59))
        created = starts - timedelta(days=randint(4, 15), hours=randint(0, 8))
        submitted = created + timedelta(hours=randint(1, 30))
        reviewed = submitted + timedelta(hours=randint(1, 40))
        frozen = starts + timedelta(seconds=randint(1, 59))
        return _Times(
            day=day,
            starts=starts,
            ends=ends,
            checkin_opens=starts - timedelta(minutes=self.opens_before),
            closed=closed,
            created=created,
            submitted=submitted,
            reviewed=reviewed,
            frozen=frozen,
        )

    def _plan(self, activity_id: int, b: SimulatedBranch, t: _Times, lat, lon) -> None:
        """The activity as closed, and its review history."""
        campaign = self.campaign
        self.activities.append(
            Activity(
                pk=activity_id,
                branch_id=b.pk,
                campaign_id=campaign.pk,
                title=campaign.theme,
                starts_at=t.starts,
                ends_at=t.ends,
                venue_address=f"{b.name}党员活动室",
                latitude=lat,
                longitude=lon,
                radius_m=300,
                agenda=self.agenda + [self.rng.choice(DEFAULT_OPTIONAL_ITEMS)],
                optional_items=[],
                checkin_opens_before_min=self.opens_before,
                checkin_closes_after_min=self.closes_after,
                checkout_closes_after_min=self.checkout_after,
                status=ActivityStatus.CLOSED,
                checkin_token=secrets.token_urlsafe(24),
                token_generated_at=t.reviewed,
                roster_frozen_at=t.frozen,
                created_by_id=b.admin_id,
                created_at=t.created,
                updated_at=t.closed,
                submitted_at=t.submitted,
                reviewed_at=t.reviewed,
                closed_at=t.closed,
            )
        )
        draft, submitted, approved, closed = (
            ActivityStatus.DRAFT,
            ActivityStatus.SUBMITTED,
            ActivityStatus.APPROVED,
            ActivityStatus.CLOSED,
        )
        self.events += [
            (activity_id, "draft", "", draft, b.admin_id, t.created),
            (activity_id, "submit", draft, submitted, b.admin_id, t.submitted),
            (activity_id, "approve", submitted, approved, b.reviewer_id, t.reviewed),
            (activity_id, "close", approved, closed, None, t.closed),
        ]

    def _spots(self, lat: Decimal, lon: Decimal) -> list[tuple[Decimal, Decimal, int]]:
        """Positions a phone reports at the venue, with their distance to it: a few,
        reused by everyone (Decimals are slow to make)."""
        uniform = self.rng.uniform
        spots = []
        for _ in range(6):
            p_lat = float(lat) + uniform(-0.0008, 0.0008)
            p_lon = float(lon) + uniform(-0.0008, 0.0008)
            distance = round(geo.distance_m(p_lat, p_lon, float(lat), float(lon)))
            spots.append((Decimal(f"{p_lat:.6f}"), Decimal(f"{p_lon:.6f}"), distance))
        return spots

    # The members -----------------------------------------------------------------------

    def _attendance(self, activity_id: int, b: SimulatedBranch, t: _Times, spots):
        """Roster, attendance, likes and comments of every member of the branch; returns
        how many came and who wrote a comment."""
        rng = self.rng
        rand = rng.random
        turnout = min(max(b.turnout + self.turnout_shift + rng.gauss(0, 0.04), 0.3), 1.0)
        like_rate = min(max(b.likes + rng.gauss(0, 0.08), 0.0), 1.0)
        present = 0
        writers = []
        for member in b.members:
            member_id, _user_id, flowing, _device = member
            self.roster.append((activity_id, member_id, flowing))
            if rand() < (0.08 if flowing else turnout):
                present += 1
                if self._attends(activity_id, member, t, spots):
                    writers.append(member_id)
            elif rand() < (0.25 if flowing else 0.4):
                self._on_leave(activity_id, b, member, t)
            else:
                self.records.append(
                    (activity_id, member_id, AttendanceStatus.ABSENT)
                    + (None, None, None, None, "", None, t.closed, t.closed)
                )
            if rand() < (like_rate if flowing else 0.15):
                at = t.ends + timedelta(minutes=rng.randint(5, 4000))
                if self._past(at):
                    self.likes.append((activity_id, member_id, at))
            if rand() < (0.12 if flowing else 0.04):
                body = rng.choice(texts.COMMENTS)
                at = t.ends + timedelta(minutes=rng.randint(10, 3000))
                if self._past(at):
                    self.comments.append((activity_id, member_id, body, False, at))
                    writers.append(member_id)
        return present, writers

    def _attends(self, activity_id: int, member: tuple, t: _Times, spots) -> bool:
        """A member who came: checked in (after a refused first try now and then), and
        mostly checked out with the reflection that requires. True if they wrote it."""
        rng = self.rng
        randint = rng.randint
        member_id, user_id, _flowing, device = member
        checked_in = t.checkin_opens + timedelta(seconds=randint(0, 2400))
        lat, lon, distance = rng.choice(spots)
        who = (activity_id, user_id, member_id)
        phone = (None, texts.USER_AGENTS[member_id % len(texts.USER_AGENTS)], device)
        phone += (self.no_client,)
        if rng.random() < 0.02:  # the phone's first fix was off: refused, then fine
            off = (lat + Decimal("0.0100"), lon, 65.0, 1100 + distance)
            at = checked_in - timedelta(seconds=40)
            self.attempts.append(who + (AttemptKind.CHECK_IN, "out_of_range") + off + (at,) + phone)
        fix = (lat, lon, float(randint(8, 40)), distance)
        self.attempts.append(who + (AttemptKind.CHECK_IN, ACCEPTED) + fix + (checked_in,) + phone)
        if rng.random() < 0.92:
            out = t.ends + timedelta(seconds=randint(0, self.checkout_after * 60 - 300))
            fix = (lat, lon, float(randint(8, 40)), distance)
            self.attempts.append(who + (AttemptKind.CHECK_OUT, ACCEPTED) + fix + (out,) + phone)
            # Checking out requires the reflection: the member's comment.
            reflection = "".join(rng.sample(texts.REFLECTIONS, randint(1, 3)))
            self.comments.append((activity_id, member_id, reflection, True, out))
            status, updated = AttendanceStatus.CHECKED_OUT, out
        else:
            status, out, updated = AttendanceStatus.NOT_CHECKED_OUT, None, t.closed
        self.records.append(
            (activity_id, member_id, status, checked_in, distance, out)
            + (distance if out else None, device, None, checked_in, updated)
        )
        return out is not None

    def _on_leave(self, activity_id: int, b: SimulatedBranch, member: tuple, t: _Times):
        """A member excused before the start, by the branch's admin."""
        randint = self.rng.randint
        member_id, _user_id, flowing, _device = member
        asked = t.starts - timedelta(days=randint(1, 3), hours=randint(0, 10))
        decided = asked + timedelta(hours=randint(1, 12))
        reason = "外出务工" if flowing else self.rng.choice(("身体不适", "家中有事", "出差"))
        leave = len(self.leaves)  # replaced by the leave's id once known
        self.leaves.append(
            [None, activity_id, member_id, reason, RequestStatus.APPROVED, asked]
            + [b.admin_id, decided]
        )
        self.records.append(
            (activity_id, member_id, AttendanceStatus.ON_LEAVE, None, None, None, None, "")
            + (leave, decided, decided)
        )

    def _replies(self, activity_id: int, writers: list[int]) -> None:
        """A reply or two to the last comment written, by those who wrote."""
        rng = self.rng
        parent = len(self.comments) - 1
        parent_at = self.comments[parent][4]
        for _ in range(rng.randint(1, 2)):
            author, body = rng.choice(writers), rng.choice(texts.REPLIES)
            at = parent_at + timedelta(minutes=rng.randint(5, 600))
            if self._past(at):
                self.replies.append((activity_id, author, parent, body, at))

    # The branch's records --------------------------------------------------------------

    def _photos(self, activity_id: int, b: SimulatedBranch, t: _Times, spots) -> None:
        """Photos uploaded by the branch, with the verdicts their metadata earn."""
        rng = self.rng
        rand, randint = rng.random, rng.randint
        count = randint(2, 8) if rand() < 0.85 else 1
        for k in range(count):
            name, thumb, width, height, size = self.photo_files[
                (activity_id + k) % len(self.photo_files)
            ]
            kind = rand()
            late = rand() < 0.04
            if late:
                at = t.closed + timedelta(hours=randint(1, 48))
            else:
                at = t.starts + timedelta(
                    minutes=randint(10, int((t.closed - t.starts).seconds / 60))
                )
            if kind < 0.7:
                taken = t.starts + timedelta(minutes=randint(0, 90))
                evidence, time_mismatch = Evidence.VERIFIED, False
                lat, lon, distance = rng.choice(spots)
            elif kind < 0.95:
                taken = lat = lon = distance = None
                evidence, time_mismatch = Evidence.UNVERIFIED, False
            else:
                taken = t.starts - timedelta(days=randint(20, 200))
                evidence, time_mismatch = Evidence.FLAGGED, True
                lat = lon = distance = None
            original = f"IMG_{t.day:%Y%m}{(activity_id * 7 + k) % 10000:04d}.jpg"
            if not self._past(at):
                continue
            self.photos.append(
                (activity_id, b.admin_id, name, thumb, width, height, size, "jpeg", original)
                + (size * 3, taken, lat, lon, distance, evidence, time_mismatch, False, late, at)
            )

    def _summary(self, activity_id: int, b: SimulatedBranch, t: _Times, present: int):
        text = texts.summary(self.rng, t.day, b.name, len(b.members), present)
        created = t.closed - timedelta(minutes=self.rng.randint(1, 40))
        updated = t.closed - timedelta(minutes=self.rng.randint(0, 1))
        self.summaries.append((activity_id, text, b.admin_id, False, created, updated))

    def _rating(self, activity_id: int, b: SimulatedBranch, t: _Times) -> None:
        """The superior's rating, by the branch's reviewer (`SimulatedBranch`)."""
        score = min(max(int(self.rng.gauss(86, 7)), 50), 100)
        at = t.closed + timedelta(days=self.rng.randint(1, 10))
        if not self._past(at):
            return
        self.ratings.append(
            (activity_id, b.reviewer_id, b.reviewer_org_id, b.reviewer_depth, score, "", True, at)
        )

    # Writing ---------------------------------------------------------------------------

    def write(self, write: Writer) -> None:
        """Every row of the batch, parents first, through `write(model, rows[, names])`;
        leave requests and comments get their ids first, for the rows that point at them."""
        hidden = self._hidden_comments()
        write(Activity, self.activities)
        write(ActivityEvent, self.events, EVENT_COLUMNS)
        write(RosterEntry, self.roster, ("activity_id", "member_id", "is_flowing"))
        leave_ids = bulk.reserve_ids(LeaveRequest, len(self.leaves))
        for row, pk in zip(self.leaves, leave_ids, strict=True):
            row[0] = pk
        write(LeaveRequest, [tuple(r) for r in self.leaves], LEAVE_COLUMNS)
        records = [r if r[8] is None else r[:8] + (leave_ids[r[8]],) + r[9:] for r in self.records]
        # Each record's month: its activity's (attendance.models.record_month).
        months = {a.pk: record_month(a.created_at) for a in self.activities}
        records = [r + (months[r[0]],) for r in records]
        write(AttendanceRecord, records, RECORD_COLUMNS)
        write(CheckInAttempt, self.attempts, ATTEMPT_COLUMNS)
        write(Comment, self._comment_rows(hidden), COMMENT_COLUMNS)
        write(ActivityLike, self.likes, ("activity_id", "member_id", "created_at"))
        write(Photo, self.photos, PHOTO_COLUMNS)
        write(Summary, self.summaries, SUMMARY_COLUMNS)
        write(Rating, self.ratings, RATING_COLUMNS)

    def _hidden_comments(self) -> set[int]:
        """A very few comments (not reflections, not replies) hidden by a superior."""
        rand = self.rng.random
        return {i for i, comment in enumerate(self.comments) if not comment[3] and rand() < 0.01}

    def _comment_rows(self, hidden: set[int]) -> list[tuple]:
        """Comments, then replies, with their ids and how they were moderated."""
        ids = bulk.reserve_ids(Comment, len(self.comments) + len(self.replies))
        rows = []
        for i, (activity_id, author, body, reflection, at) in enumerate(self.comments):
            row = (ids[i], activity_id, author, None, body, reflection, at)
            if i in hidden:
                reviewer = self.reviewer_of[activity_id]
                row += (True, "与活动无关", reviewer, at + timedelta(hours=2))
            else:
                row += (False, "", None, None)
            rows.append(row)
        reply_ids = ids[len(self.comments) :]
        for pk, (activity_id, author, parent, body, at) in zip(
            reply_ids, self.replies, strict=True
        ):
            rows.append(
                (pk, activity_id, author, ids[parent], body, False, at, False, "", None, None)
            )
        return rows
