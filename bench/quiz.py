"""Benchmark: the monthly quiz peak (issue 19), over HTTP, behind gunicorn.

    createdb -h 127.0.0.1 -U postgres dangjian_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed --scale city
    apt-get install -y wrk
    .venv/bin/python bench/quiz.py

The peak: 20,000 members start the same city-wide quiz within a minute, answer and hand it
in. Each run makes a new bank (two categories of 40 questions: single choice and
true/false) and a new quiz of the city (a draw of 5 + 5, time limit 20 minutes, open now),
gives `--members` members (and some more to warm up with) an API token, starts gunicorn
(sync workers, persistent connections, DEBUG off, Redis as in production) and drives it
with wrk, every request a different member:

1. starts: `POST /api/v1/quizzes/{id}/attempts` (201, the paper drawn and stored), until
   every member has started (or `--max-duration`);
2. saves: `PUT /api/v1/attempts/{id}/answers/{question_id}` of each attempt's first
   question, version 1, for `--duration` seconds;
3. the other answers are then written in the preparation, in bulk (one UPDATE per question
   type: what the saves of phase 2 would leave), so that every attempt is fully answered;
4. submissions: `POST /api/v1/attempts/{id}/submit` (200, marked at once), each a different
   member's attempt, until all are in (or `--max-duration`).

Then, unless `--no-yardstick`, the bare one-INSERT Django view (bench/bare_insert.py) in
the same minutes, each phase's rate as a share of it, and met/NOT met per goal; then, unless
`--no-push`, bench/package_push.py (the package push to every member of the city, timed in
its own process with its peak RSS). wrk stops each thread before its members run out, so
no request is a repeat.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "")

import django  # noqa: E402

django.setup()

from django.db import DatabaseError, connection  # noqa: E402
from django.db.models import Count, Max, Min  # noqa: E402

import bare_insert  # noqa: E402
from _serve import LINES_LUA, show, start_gunicorn, warm_up, write_lines, wrk  # noqa: E402
from dangjian.core import clock  # noqa: E402
from dangjian.learning import quiz_bank, quiz_services  # noqa: E402
from dangjian.learning.models import Attempt, AttemptAnswer, Question  # noqa: E402
from dangjian.learning.quiz_bank import QuestionContent  # noqa: E402
from dangjian.registry.models import ApiToken, Member, Organization, Role, RoleGrant  # noqa: E402

# Issue 19: at least 300 starts/s and 300 submissions/s, p99 under 300 ms, no errors.
GOAL_RPS, GOAL_P99_MS = 300, 300
WARM_UP_MEMBERS = 600
CATEGORY_SIZE, DRAW_PER_CATEGORY = 40, 5


def make_quiz(root: Organization, admin) -> object:
    stamp = time.strftime("%H:%M:%S")
    single = quiz_bank.create_category(actor=admin, org=root, name=f"基准单选 {stamp}")
    truth = quiz_bank.create_category(actor=admin, org=root, name=f"基准判断 {stamp}")
    for i in range(CATEGORY_SIZE):
        quiz_bank.create_question(
            actor=admin,
            category=single,
            content=QuestionContent(
                kind="single",
                stem=f"第 {i + 1} 题：党的基层组织每月相对固定一天开展主题党日，对吗？",
                options=["每月一次", "每季度一次", "每半年一次", "每年一次"],
                correct=["A"],
            ),
        )
        quiz_bank.create_question(
            actor=admin,
            category=truth,
            content=QuestionContent(
                kind="true_false", stem=f"第 {i + 1} 题：党员应当按期交纳党费。", truth=True
            ),
        )
    now = clock.now()
    quiz = quiz_services.create_quiz(
        actor=admin,
        org=root,
        title=f"月度学习测试（基准 {stamp}）",
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=3),
        time_limit=timedelta(minutes=20),
        attempts_allowed=1,
        draws=[
            quiz_services.CategoryDraw(single, DRAW_PER_CATEGORY),
            quiz_services.CategoryDraw(truth, DRAW_PER_CATEGORY),
        ],
    )
    return quiz_services.publish_quiz(actor=admin, quiz=quiz)


def give_tokens(count: int) -> list[tuple[int, str]]:
    """(member id, API token) of `count` active members of the city, a new token each."""
    members = list(
        Member.objects.filter(is_active=True).order_by("?").values_list("pk", "user_id")[:count]
    )
    if len(members) < count:
        sys.exit(f"only {len(members)} active members: seed the city first")
    expires = clock.now() + timedelta(hours=3)
    keys, tokens = [], []
    for _pk, user_id in members:
        key = secrets.token_urlsafe(32)
        keys.append(key)
        tokens.append(
            ApiToken(user_id=user_id, key_hash=ApiToken.hash_key(key), expires_at=expires)
        )
    ApiToken.objects.bulk_create(tokens, batch_size=2000)
    return [(pk, key) for (pk, _user_id), key in zip(members, keys, strict=True)]


def analyze(*models) -> None:
    """What autovacuum does in production after this many new rows."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in models))


def checkpoint() -> None:
    """Write out what the preparation changed (its 200,000 answers filled in one UPDATE per
    type fill most of max_wal_size), so that the checkpoint it would start falls outside
    the measured phase: a real peak is not preceded by such a bulk write. Needs a
    superuser or pg_checkpoint; skipped without."""
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:
        print(f"no CHECKPOINT before the phase ({exc})")


def fill_answers(quiz) -> int:
    """Every slot not saved yet, answered as a member would (right or wrong), version 1:
    one UPDATE per question type."""
    now = clock.now()
    slots = AttemptAnswer.objects.filter(attempt__quiz=quiz, version=0)
    filled = slots.filter(question_version__kind="single").update(
        answer="A", version=1, saved_at=now
    )
    filled += slots.filter(question_version__kind="true_false").update(
        answer=True, version=1, saved_at=now
    )
    return filled


def served_rate(quiz, field: str, warm_ids: list[int]) -> tuple[int, float]:
    """How many measured attempts have `field` set, and the seconds from the first to the
    last: the rate the server kept up while the phase had requests to send. (wrk runs for
    its whole duration; a phase that sent its last line early idles until then.)"""
    times = (
        Attempt.objects.filter(quiz=quiz, **{f"{field}__isnull": False})
        .exclude(member_id__in=warm_ids)
        .aggregate(n=Count("id"), first=Min(field), last=Max(field))
    )
    if times["n"] < 2:
        return times["n"], 0.0
    return times["n"], (times["last"] - times["first"]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20000, help="members starting the quiz")
    parser.add_argument("--duration", type=int, default=15, help="seconds of answer saves")
    parser.add_argument("--max-duration", type=int, default=180, help="seconds per phase at most")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--no-yardstick", action="store_true")
    parser.add_argument("--no-push", action="store_true", help="skip bench/package_push.py")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the goal is measured on PostgreSQL")

    root = Organization.objects.get_root_nodes().first()
    if root is None:
        sys.exit("No organization tree: run `manage.py seed --scale city` first.")
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    started = time.perf_counter()
    quiz = make_quiz(root, admin)
    # One connection per thread more than the measured members: never sent (LINES_LUA).
    margin = args.connections
    holders = give_tokens(args.members + margin + WARM_UP_MEMBERS)
    analyze(ApiToken)
    warming, holders = holders[:WARM_UP_MEMBERS], holders[WARM_UP_MEMBERS:]
    print(
        f"quiz {quiz.pk}, {len(holders) - margin} members hold a token (and {len(warming)} "
        f"to warm up with), prepared in {time.perf_counter() - started:.0f} s"
    )
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="bench-quiz-"))
    (workdir / "quiz.lua").write_text(LINES_LUA)
    start_path = f"/api/v1/quizzes/{quiz.pk}/attempts"
    write_lines(workdir / "warm-starts.tsv", [(k, "POST", start_path, "") for _m, k in warming])
    write_lines(workdir / "starts.tsv", [(k, "POST", start_path, "") for _m, k in holders])

    env = {
        **os.environ,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": args.redis,
    }
    base = f"http://127.0.0.1:{args.port}"

    def phase(name: str, count: int, seconds: int) -> dict:
        # One wrk thread, ended as soon as it has sent its lines (LINES_LUA's marker): with
        # two, the first to run out would leave connections that hold sync workers idle
        # while the other still sends.
        marker = workdir / f"{name}.done"
        return wrk(
            [
                "-t1",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(workdir / "quiz.lua"),
                f"{base}/",
                "--",
                str(workdir / name),
                "1",
                str(count),
                str(marker),
            ],
            until=marker,
        )

    server = start_gunicorn("dangjian.wsgi:application", args, cwd=ROOT, env=env)
    try:
        warm_up(f"{base}/healthz", args.connections)
        phase("warm-starts.tsv", len(warming) - margin, 3)
        # The warm-up's attempts are what autovacuum would analyze within its first
        # minute (50 rows and a tenth of the table changed). Analyzed empty instead, the
        # tables would keep their plans for an empty table: the foreign-key checks of the
        # slots, planned once per connection, would scan every attempt as the quiz fills.
        analyze(Attempt, AttemptAnswer, Question)
        checkpoint()
        connection.close()
        health = wrk(
            ["-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency", f"{base}/healthz"]
        )
        starts = phase("starts.tsv", len(holders) - margin, args.max_duration)

        attempts = dict(
            Attempt.objects.filter(quiz=quiz, finished_at=None).values_list("member_id", "pk")
        )
        first = dict(
            AttemptAnswer.objects.filter(attempt__quiz=quiz, position=1).values_list(
                "attempt_id", "question_id"
            )
        )
        kinds = dict(
            AttemptAnswer.objects.filter(attempt__quiz=quiz, position=1).values_list(
                "attempt_id", "question_version__kind"
            )
        )
        connection.close()
        taken = [(m, k) for m, k in warming + holders if m in attempts]
        saves = []
        for member_id, key in taken:
            attempt_id = attempts[member_id]
            answer = '"A"' if kinds[attempt_id] == "single" else "true"
            saves.append(
                (
                    key,
                    "PUT",
                    f"/api/v1/attempts/{attempt_id}/answers/{first[attempt_id]}",
                    f'{{"answer":{answer},"version":1}}',
                )
            )
        write_lines(workdir / "saves.tsv", saves)
        saved = phase("saves.tsv", len(saves) - margin, args.duration)
        filled = fill_answers(quiz)
        analyze(Attempt, AttemptAnswer)
        checkpoint()
        connection.close()

        warm_taken = [(m, k) for m, k in warming if m in attempts]
        measured = [(m, k) for m, k in holders if m in attempts]

        def submits(chosen):
            return [(k, "POST", f"/api/v1/attempts/{attempts[m]}/submit", "") for m, k in chosen]

        write_lines(workdir / "warm-submits.tsv", submits(warm_taken))
        write_lines(workdir / "submits.tsv", submits(measured))
        phase("warm-submits.tsv", len(warm_taken) - margin, 3)
        submitted = phase("submits.tsv", len(measured) - margin, args.max_duration)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if args.redis:
            import redis

            redis.Redis.from_url(args.redis).flushdb()

    made = Attempt.objects.filter(quiz=quiz).count()
    finished = Attempt.objects.filter(quiz=quiz, finished_at__isnull=False).count()
    warm_ids = [m for m, _k in warming]
    served = {
        "start": served_rate(quiz, "started_at", warm_ids),
        "submit": served_rate(quiz, "finished_at", warm_ids),
    }
    connection.close()
    if not args.no_yardstick:
        args.port += 1
        args.duration = 15
        _selected, inserted = bare_insert.measure(args, os.environ.get("DATABASE_URL", ""))

    load = os.getloadavg()
    print(
        f"\ngunicorn {args.workers} sync workers, wrk {args.connections} connections (the "
        f"phases one thread, /healthz and the yardstick two), {connection.vendor}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    show("/healthz", health)
    show("start", starts)
    show("save", saved)
    show("submit", submitted)
    print(
        f"attempts made {made} (warm-up and measured starts), finished {finished}; answers "
        f"saved by wrk {saved['requests']}, filled in the preparation {filled}"
    )
    for label, (count, seconds) in served.items():
        rate = count / seconds if seconds else 0.0
        served[label] = rate
        print(
            f"{label}: {count} served in {seconds:.1f} s (first to last, the database's "
            f"times) = {rate:.0f}/s; wrk's rate counts its whole duration, idle end included"
        )
    if not args.no_yardstick:
        show("bare INSERT", inserted)
        for label, f in (("start", starts), ("submit", submitted)):
            errors = f["non2xx"] + f["socket_errors"]
            rate = served[label]
            met = rate >= GOAL_RPS and f["p99"] < GOAL_P99_MS and errors == 0
            print(
                f"{label}: {rate:.0f}/s served = {rate / inserted['rps']:.0%} of the bare "
                f"INSERT (goal ≥ {GOAL_RPS}/s, p99 < {GOAL_P99_MS} ms, 0 errors: "
                f"{'met' if met else 'NOT met'})"
            )
        print(f"save: {saved['rps'] / inserted['rps']:.0%} of the bare INSERT (no goal)")
    if not args.no_push:
        print("\npackage push (bench/package_push.py, its own process; goal < 60 s):")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(ROOT / "bench" / "package_push.py")], check=True)


if __name__ == "__main__":
    main()
