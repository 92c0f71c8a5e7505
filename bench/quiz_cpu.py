"""Benchmark: the CPU a quiz start and a submission cost, in one process (issue 19).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python bench/quiz_cpu.py --members 400

On a copy of the seeded city (as bench/quiz.py), with the same bank and quiz: `--members`
members each start the quiz (`POST /api/v1/quizzes/{id}/attempts`) through Django's test
client and the whole request stack (middleware, API, DEBUG off), then every slot is filled
as bench/quiz.py fills it and each submits (`POST /api/v1/attempts/{id}/submit`). Printed
per request: the statements of one (on every connection, the token's included), and over
all of them this process's CPU (what a gunicorn worker spends), the CPU of the PostgreSQL
backends serving its connections (read from /proc: the database on this machine) and the
wall time. Unlike wrk's rates it hardly depends on what else
the machine runs."""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
os.environ.setdefault("NOTIFICATION_CHANNELS", "")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import quiz as peak  # noqa: E402
from dangjian.learning.models import Attempt, AttemptAnswer, Question  # noqa: E402
from dangjian.registry.models import ApiToken, Organization, Role, RoleGrant  # noqa: E402


class Captured:
    """The statements of a block on every configured connection."""

    def __enter__(self):
        self.contexts = [CaptureQueriesContext(connections[a]) for a in connections]
        for context in self.contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.contexts:
            context.__exit__(*exc)

    @property
    def sql(self) -> list[str]:
        return [q["sql"] for c in self.contexts for q in c.captured_queries]


def backend_seconds() -> float:
    """The CPU the PostgreSQL backends of this process's connections used so far (from
    /proc: the database on this machine), 0 elsewhere."""
    total = 0.0
    for alias in connections:
        db = connections[alias]
        if db.vendor != "postgresql":
            continue
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run(
    client: Client, requests: list[tuple[str, str]], expect: int, show: bool, profile: str = ""
) -> None:
    """Each (token, path) POSTed once: the first's statements, then CPU and wall per one."""
    token, path = requests[0]
    with Captured() as first:
        response = client.post(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == expect, response.content
    print(f"  {len(first.sql)} statements")
    if show:
        for sql in first.sql:
            print("    ", sql[:160])
    profiler = cProfile.Profile(time.process_time) if profile else None
    database = backend_seconds()
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for token, path in requests[1:]:
        response = client.post(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == expect, response.content
    if profiler:
        profiler.disable()
    n = len(requests) - 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    database = backend_seconds() - database
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile, 40)
    print(
        f"  {n} requests: CPU {cpu / n * 1000:.2f} ms here and {database / n * 1000:.2f} ms in "
        f"PostgreSQL, wall {wall / n * 1000:.2f} ms each"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--sql", action="store_true", help="print the statements of one")
    parser.add_argument("--profile", default="", help="cProfile: the functions matching it")
    args = parser.parse_args()
    root = Organization.objects.get_root_nodes().first()
    admin = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user").first().user
    quiz = peak.make_quiz(root, admin)
    holders = peak.give_tokens(args.members + 1)
    peak.analyze(ApiToken, Attempt, AttemptAnswer, Question)
    client = Client()
    print(f"quiz {quiz.pk}: starts")
    path = f"/api/v1/quizzes/{quiz.pk}/attempts"
    run(client, [(key, path) for _m, key in holders], 201, args.sql, args.profile)
    peak.fill_answers(quiz)
    attempts = dict(Attempt.objects.filter(quiz=quiz).values_list("member_id", "pk"))
    print("submissions")
    submits = [(key, f"/api/v1/attempts/{attempts[m]}/submit") for m, key in holders]
    run(client, submits, 200, args.sql, args.profile)


if __name__ == "__main__":
    main()
