"""Yardstick for bench/checkin.py: what this machine gives a bare Django view.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/dangjian_bench
    .venv/bin/python bench/bare_insert.py

Issue 4 puts the check-in's goal beside "a bare Django view doing one INSERT" (about
1,900/s on the machine it was written on). This serves a Django with no middleware, no apps
and two views, under the same gunicorn (4 sync workers, persistent connections) and wrk
settings as bench/checkin.py: `GET /select` (one `SELECT 1`) and `POST /insert` (one INSERT
into a scratch table, autocommit, so one WAL flush each). The table is dropped afterwards.
Run it next to bench/checkin.py: the machine's speed moves by tens of per cent from one
minute to the next, so only figures from the same few minutes compare."""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _serve import show, start_gunicorn, warm_up, wrk  # noqa: E402

APP = """
import os
from urllib.parse import urlparse
from django.conf import settings

url = urlparse(os.environ["DATABASE_URL"])
settings.configure(
    DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="bench",
    MIDDLEWARE=[], INSTALLED_APPS=[],
    DATABASES={"default": {
        "ENGINE": "django.db.backends.postgresql", "NAME": url.path.lstrip("/"),
        "USER": url.username or "", "PASSWORD": url.password or "",
        "HOST": url.hostname or "", "PORT": url.port or 5432, "CONN_MAX_AGE": 600,
    }},
)
import django
django.setup()
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

def select(request):
    with connection.cursor() as c:
        c.execute("SELECT 1")
    return JsonResponse({"ok": True})

def insert(request):
    with connection.cursor() as c:
        c.execute("INSERT INTO bench_bare_insert (at) VALUES (now()) RETURNING id")
        (pk,) = c.fetchone()
    return JsonResponse({"id": pk}, status=201)

urlpatterns = [path("select", select), path("insert", insert)]
application = get_wsgi_application()
"""

POST = 'wrk.method = "POST"\nwrk.body = "{}"\nwrk.headers["Content-Type"] = "application/json"\n'


def psql(database_url: str, sql: str) -> None:
    subprocess.run(["psql", "-q", database_url, "-c", sql], check=True)


def measure(args, database_url: str) -> tuple[dict, dict]:
    """wrk's figures for `GET /select` and `POST /insert` of the bare app (args: workers,
    connections, duration, port)."""
    if urllib.parse.urlparse(database_url).scheme not in ("postgres", "postgresql"):
        sys.exit("Set DATABASE_URL=postgres://...: the yardstick is measured on PostgreSQL.")
    workdir = Path(tempfile.mkdtemp(prefix="bench-bare-"))
    (workdir / "bare.py").write_text(APP)
    (workdir / "post.lua").write_text(POST)
    psql(
        database_url,
        "CREATE TABLE IF NOT EXISTS bench_bare_insert (id bigserial PRIMARY KEY, at timestamptz)",
    )
    server = start_gunicorn("bare:application", args, cwd=workdir)
    try:
        base = f"http://127.0.0.1:{args.port}"
        warm_up(f"{base}/select", args.connections)
        common = ["-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
        selected = wrk([*common, f"{base}/select"])
        inserted = wrk([*common, "-s", str(workdir / "post.lua"), f"{base}/insert"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        psql(database_url, "DROP TABLE IF EXISTS bench_bare_insert")
    return selected, inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8096)
    args = parser.parse_args()
    selected, inserted = measure(args, os.environ.get("DATABASE_URL", ""))
    print(
        f"\nbare Django, gunicorn {args.workers} sync workers, wrk 2 threads × "
        f"{args.connections} connections, {args.duration} s each"
    )
    show("SELECT 1", selected)
    show("INSERT", inserted)


if __name__ == "__main__":
    main()
