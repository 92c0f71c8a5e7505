"""Two app servers behind nginx, proven on one machine (docs/scaling.md, "Two app servers"):

    apt-get install -y nginx wrk          # Debian's packages (`make nodes` installs nginx)
    .venv/bin/python scripts/two_nodes.py

On a PostgreSQL database of its own (`--database`, default dangjian_two_nodes: created,
migrated and seeded with the demo city when it has no organizations) it starts two gunicorn
instances on two ports, nginx in front of them (deploy/nginx.conf, rendered into a temporary
directory: its upstream servers, `listen`, certificate lines and directories replaced), a
Celery worker and TWO Celery beats (one too many, as by mistake) on the real Redis broker
(`--redis`, emptied first). Then it drives the main journeys across both nodes and prints
each check as PASS or FAIL:

- a member signs in on node A's login page, and node B serves the session (her phone
  home) and takes her leave request (a POST with the CSRF token node A gave);
- five wrong passwords, three on node A and two on node B, lock the account on both;
- a member signs in to the API and checks in through nginx, which spreads requests over
  both nodes; nginx serves /static/ itself and refuses the internal /media/ location;
- a photo uploaded to node A is found by node B in the one MEDIA_ROOT and sent by nginx
  from its internal location (X-Accel-Redirect);
- an activity whose check-out window ended is closed once by the scheduled job although
  both beats send it: the worker runs it once in the minute's slot and skips the other
  (core.scheduling), one close on the activity's history and one audit entry.

Then (unless `--no-load`) a short check-in load through nginx with wrk, every request a
different member of the demo city, and the CPU seconds per check-in of each node (its
gunicorn master and workers and its PostgreSQL backends, read from /proc/<pid>/stat before
and after), of nginx and of the Celery worker, and their sum. Exits non-zero if any check
failed. Ports: `--port` for nginx, the two next ones for the gunicorns (default 8100-8102).
The keys are the environment's, else var/secrets.env's (`make keys` writes them once), as
for every process of the checkout.
"""

import argparse
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

import _two_nodes_load

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Two-nodes-2026"
VENUE = (33.0676, 107.0238)
NGINX_CONF = ROOT / "deploy" / "nginx.conf"

results: list[tuple[bool, str]] = []


def check(ok: bool, what: str) -> bool:
    results.append((bool(ok), what))
    print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True)
    return bool(ok)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        default=os.environ.get("TWO_NODES_DATABASE", "dangjian_two_nodes"),
        help="PostgreSQL database on 127.0.0.1:5432 (created if missing)",
    )
    parser.add_argument(
        "--database-url",
        help="a postgres:// URL instead, used as it is (never created nor migrated)",
    )
    parser.add_argument(
        "--seed",
        choices=("demo", "none"),
        default="demo",
        help="an empty database gets the demo city, or (none) one root and its admin",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("TWO_NODES_REDIS_URL", "redis://127.0.0.1:6379/5"),
        help="REDIS_URL of the nodes, worker and beats; this Redis database is emptied",
    )
    parser.add_argument("--port", type=int, default=8100, help="nginx; the nodes the next two")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--no-load", action="store_true", help="the journeys only")
    parser.add_argument("--load-seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    return parser.parse_args()


# Setting up, in this process ---------------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # This process prepares data only: its tasks (approval notices) run here, eagerly.
    os.environ.pop("REDIS_URL", None)
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "dangjian.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect(
        "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
    ) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def prepare_database(seed: str, *, migrate: bool) -> None:
    from django.core.management import call_command

    from dangjian.registry.models import Organization
    from dangjian.registry.services import bootstrap_city

    if migrate:
        call_command("migrate", "--noinput", verbosity=0)
    if not Organization.objects.get_root_nodes().exists():
        if seed == "demo":
            print("seeding the demo city (once for this database)", flush=True)
            call_command("seed", "--scale", "demo", verbosity=0)
        else:
            bootstrap_city(name="两节点市", phone="13800000000", password=PASSWORD)
    # Failed logins of earlier runs, from this same address, would lock this run out.
    from axes.utils import reset

    reset()


class World:
    """What this run's journeys use, made through the services: a branch of its own under
    the root, three members with a known password, an activity whose check-in is open and
    one whose check-out window ended two minutes ago, left unclosed."""

    def __init__(self):
        from django.utils import timezone

        from dangjian.core import clock
        from dangjian.demodata.history import moved_clock
        from dangjian.registry import services as registry
        from dangjian.registry.models import (
            ApiToken,
            Organization,
            OrgKind,
            Role,
            RoleGrant,
            Sector,
        )
        from dangjian.themedays import services as themedays
        from dangjian.themedays.models import DEFAULT_REQUIRED_ITEMS

        root = Organization.objects.get_root_nodes().first()
        grant = RoleGrant.objects.filter(org=root, role=Role.ADMIN).select_related("user")
        self.admin = grant.first().user
        stamp = time.strftime("%m%d%H%M%S")
        self.branch = registry.create_organization(
            actor=self.admin,
            parent=root,
            name=f"两节点演练党支部{stamp}",
            kind=OrgKind.BRANCH,
            sector=Sector.RURAL,
        )
        self.leave_taker = self._member("甲")
        self.checker = self._member("乙")
        self.victim = self._member("丙")

        def campaign(moment):
            day = timezone.localdate(moment)
            return themedays.create_campaign(
                actor=self.admin,
                org=root,
                month=day.strftime("%Y-%m"),
                theme=f"两节点演练 {stamp}",
                holding_from=day,
                holding_until=day + timedelta(days=1),
            )

        def plan(moment, starts_at):
            activity = themedays.draft_activity(
                actor=self.admin,
                branch=self.branch,
                campaign=campaign(moment),
                title="两节点演练主题党日",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                venue_address="村党员活动室",
                latitude=VENUE[0],
                longitude=VENUE[1],
                agenda=list(DEFAULT_REQUIRED_ITEMS),
            )
            themedays.submit_activity(actor=self.admin, activity=activity)
            return themedays.approve_activity(actor=self.admin, activity=activity)

        now = clock.now()
        # An API key of the root's admin, who may add photos to the branch's activities.
        self.admin_key = secrets.token_urlsafe(32)
        ApiToken.objects.create(
            user=self.admin,
            key_hash=ApiToken.hash_key(self.admin_key),
            expires_at=now + timedelta(hours=2),
        )
        # Planned in the past, as the services allow only then: its check-out window (an
        # hour after the end) closed two minutes ago.
        planned = now - timedelta(hours=2, minutes=42)
        with moved_clock(planned):
            self.due = plan(planned, planned + timedelta(minutes=40))
        self.open = plan(now, now + timedelta(minutes=20))

    def _member(self, letter: str):
        from dangjian.core.errors import DomainError
        from dangjian.registry import idcard
        from dangjian.registry import services as registry

        for _ in range(50):
            born = date(1970, 1, 1) + timedelta(days=random.randrange(12000))
            try:
                member = registry.create_member(
                    actor=self.admin,
                    branch=self.branch,
                    name=f"演练党员{letter}",
                    gender="female",
                    birth_date=born,
                    id_number=idcard.make("610702", born, random.randrange(1, 999)),
                    phone=f"137{random.randrange(10**8):08d}",
                    join_date=date(2010, 7, 1),
                    full_date=date(2011, 7, 1),
                    status="full",
                    is_flowing=False,
                    flowing_location="",
                )
            except DomainError:
                continue  # an ID number or phone taken already: draw another
            member.user.set_password(PASSWORD)
            member.user.save(update_fields=["password"])
            return member
        raise SystemExit("could not draw a free ID number and phone")


def load_lines(members_wanted: int) -> list[tuple[str, str]]:
    """bench/checkin.py's preparation: activities open for check-in in the branches with
    the most members, an API token for each of their members; (key, body) a member."""
    sys.path.insert(0, str(ROOT / "bench"))
    import checkin as bench_checkin

    lines, _activity_ids = bench_checkin.prepare(members_wanted)
    return lines


# The processes ------------------------------------------------------------------------------


class Stack:
    """Every process this run starts, each in its session of its own (stopped with its
    process group), logs under the temporary directory."""

    def __init__(self, args, url: str, workdir: Path):
        self.args, self.url, self.workdir = args, url, workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self.nginx_port = args.port
        self.node_ports = {"A": args.port + 1, "B": args.port + 2}
        self.media = workdir / "media"
        self.static = workdir / "static"
        self.media.mkdir()

    def env(self, name: str, **extra) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTEST_CURRENT_TEST", "SQLITE_PATH")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="dangjian.settings",
            PYTHONPATH=str(ROOT / "src"),
            DATABASE_URL=self.url,
            REDIS_URL=self.args.redis,
            PGAPPNAME=f"two_nodes_{name}",
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            STATIC_MANIFEST="1",
            STATIC_ROOT=str(self.static),
            # One directory every node writes and nginx reads: a shared volume in production.
            MEDIA_ROOT=str(self.media),
            MEDIA_ACCEL_REDIRECT="/media/",
            NOTIFICATION_CHANNELS="",
            LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    def start(self, name: str, command: list[str], **extra) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "w")  # noqa: SIM115 (kept open while it runs)
        process = subprocess.Popen(  # noqa: S603 (our own commands)
            command,
            cwd=ROOT,
            env=self.env(name, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def collectstatic(self) -> None:
        subprocess.run(  # noqa: S603 (our own commands)
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env("collectstatic"),
            check=True,
        )

    def start_beats(self) -> None:
        # Each beat sends a minute's jobs first a minute after it starts, then every minute:
        # started together early in a minute, their first sends share the minute's slot.
        # Started apart (a busy machine), each later minute still has one send of each.
        if time.time() % 60 > 45:
            time.sleep(60.5 - time.time() % 60)
        for beat in ("beat1", "beat2"):
            self.start(
                beat,
                [
                    str(VENV_BIN / "celery"),
                    "-A",
                    "dangjian",
                    "beat",
                    "--loglevel",
                    "INFO",
                    "--schedule",
                    str(self.workdir / f"{beat}-schedule"),
                ],
            )
        self.beats_started = time.time()

    def start_worker(self) -> None:
        self.start(
            "worker",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "dangjian",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
            ],
            LOG_LEVEL="INFO",
        )

    def start_nodes(self) -> None:
        for node, port in self.node_ports.items():
            self.start(
                f"node_{node.lower()}",
                [
                    str(VENV_BIN / "gunicorn"),
                    "dangjian.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(self.args.workers),
                    "--worker-class",
                    "sync",
                    "--worker-tmp-dir",
                    "/dev/shm",  # noqa: S108 (as docs/operations.md runs it)
                    "--timeout",
                    "120",
                    "--backlog",
                    "2048",
                    "--access-logfile",
                    "-",
                    "--access-logformat",
                    _two_nodes_load.ACCESS_FORMAT,
                ],
            )

    def start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        (self.workdir / "site.conf").write_text(
            render_site(NGINX_CONF.read_text(), self.nginx_port, self.node_ports, self.workdir)
        )
        (self.workdir / "nginx.conf").write_text(
            MAIN_CONF.format(dir=self.workdir, user="root" if os.geteuid() == 0 else "nobody")
        )
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.workdir / sub).mkdir(exist_ok=True)
        self.start(
            "nginx",
            [
                nginx,
                "-p",
                str(self.workdir),
                "-c",
                str(self.workdir / "nginx.conf"),
                "-e",
                str(self.workdir / "nginx-error.log"),
            ],
        )

    def stop(self) -> None:
        for name, process in reversed(self.processes.items()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# The main configuration nginx runs with here; the site is deploy/nginx.conf's server.
MAIN_CONF = """daemon off;
user {user};
worker_processes 1;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format nodes '$upstream_addr $status $request_method $uri';
    access_log {dir}/nginx-access.log nodes;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


def render_site(text: str, port: int, node_ports: dict[str, int], workdir: Path) -> str:
    """deploy/nginx.conf for this machine: its upstream servers, its `listen` and
    certificate lines and its two directories replaced. Fails if the file no longer has
    what is replaced, so that this script runs the file production copies."""
    servers = "".join(
        f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in node_ports.values()
    )
    replacements = [
        (r"(?m)^    server 10\.0\.0\.\d+:8000 .*\n", "", 2),
        (r"(?m)^upstream dangjian \{\n", "upstream dangjian {\n" + servers, 1),
        (r"(?m)^    listen 443 ssl http2;$", f"    listen 127.0.0.1:{port};", 1),
        (r"(?m)^    ssl_certificate.*\n", "", 2),
        (r"/var/lib/dangjian/static/", f"{workdir}/static/", 1),
        (r"/var/lib/dangjian/media/", f"{workdir}/media/", 1),
    ]
    for pattern, replacement, count in replacements:
        text, made = re.subn(pattern, lambda _match, r=replacement: r, text)
        if made != count:
            raise SystemExit(f"deploy/nginx.conf: {pattern!r} matched {made} times, not {count}")
    return text


# HTTP, cookies kept by hand: a cookie jar would send 127.0.0.1's cookies to every port
# alike, and what is proven here is which node sees which cookie.


def call(port: int, method: str, path: str, *, form=None, body=None, headers=None, cookies=None):
    """One request: (status, headers, text, cookies the answer set)."""
    import http.client

    sent = dict(headers or {})
    if form is not None:
        body = urllib.parse.urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None and not isinstance(body, str | bytes):
        body = json.dumps(body)
        sent["Content-Type"] = "application/json"
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        text = answer.read().decode(errors="replace")
    finally:
        connection.close()
    new = {}
    for value in answer.headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        new[name.strip()] = rest.split(";")[0]
    return answer.status, answer.headers, text, new


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    return match.group(1) if match else ""


def wait_for(port: int, what: str, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return check(False, f"{what} answers /healthz on port {port}")


def nginx_lines(stack: Stack, start: int = 0) -> list[list[str]]:
    """nginx's access lines from byte `start`: [upstream address, status, method, uri]."""
    with open(stack.workdir / "nginx-access.log", "rb") as log:
        log.seek(start)
        return [line.split() for line in log.read().decode().splitlines() if line.strip()]


# The journeys ------------------------------------------------------------------------------


def journeys(stack: Stack, world: World) -> None:
    from dangjian.attendance.models import AttendanceRecord, LeaveRequest

    node_a, node_b = stack.node_ports["A"], stack.node_ports["B"]
    proxy = stack.nginx_port
    taker, victim, checker = world.leave_taker, world.victim, world.checker

    # Signed in on node A; node B serves the session and takes a POST.
    _status, _h, page, cookies = call(node_a, "GET", "/login/")
    form = {
        "phone": taker.user.phone,
        "password": PASSWORD,
        "csrfmiddlewaretoken": csrf_token(page),
    }
    status, _h, _text, new = call(node_a, "POST", "/login/", form=form, cookies=cookies)
    cookies.update(new)
    check(
        status == 302 and "sessionid" in new,
        f"node A: {taker.name} signs in on the login page (302, session cookie set)",
    )
    status, _h, page, _new = call(node_b, "GET", "/m/profile/", cookies=cookies)
    check(
        status == 200 and taker.name in page,
        f"node B: serves {taker.name}'s phone profile with node A's session cookie",
    )
    leave_path = f"/m/activities/{world.open.pk}/leave/"
    _status, _h, page, _new = call(node_a, "GET", leave_path, cookies=cookies)
    reason = {"reason": "两节点演练：外出学习", "csrfmiddlewaretoken": csrf_token(page)}
    status, _h, _text, _new = call(node_b, "POST", leave_path, form=reason, cookies=cookies)
    check(
        status == 302
        and LeaveRequest.objects.filter(activity=world.open, member=taker).count() == 1,
        "node B: takes her leave request, a POST with the CSRF token of node A's form "
        "(302, one leave request stored)",
    )

    # Five wrong passwords over both nodes lock the account on both.
    _status, _h, page, anonymous = call(node_a, "GET", "/login/")
    wrong = {
        "phone": victim.user.phone,
        "password": "wrong",
        "csrfmiddlewaretoken": csrf_token(page),
    }
    statuses = [
        call(port, "POST", "/login/", form=wrong, cookies=anonymous)[0]
        for port in (node_a, node_b, node_a, node_b, node_a)
    ]
    right = {**wrong, "password": PASSWORD}
    on_b = call(node_b, "POST", "/login/", form=right, cookies=anonymous)[0]
    api_on_a = call(
        node_a,
        "POST",
        "/api/v1/auth/token",
        body={"phone": victim.user.phone, "password": PASSWORD},
    )[0]
    check(
        statuses[:4] == [401] * 4 and on_b == 429 and api_on_a == 429,
        f"nodes A, B: five wrong passwords of {victim.name}, three on A and two on B "
        f"(answers {statuses}), lock her out: her right password is refused on B's page "
        f"({on_b}) and by A's API ({api_on_a})",
    )

    # A member checks in through nginx.
    status, _h, text, _new = call(
        proxy,
        "POST",
        "/api/v1/auth/token",
        body={"phone": checker.user.phone, "password": PASSWORD},
    )
    key = json.loads(text).get("token", "") if status == 200 else ""
    status, _h, text, _new = call(
        proxy,
        "POST",
        "/api/v1/attendance/check-in",
        body={
            "token": world.open.checkin_token,
            "latitude": VENUE[0],
            "longitude": VENUE[1],
            "accuracy_m": 20,
        },
        headers={"Authorization": f"Bearer {key}"},
    )
    recorded = AttendanceRecord.objects.filter(
        activity=world.open, member=checker, checked_in_at__isnull=False
    ).exists()
    check(
        status == 201 and recorded,
        f"nginx: {checker.name} signs in to the API and checks in ({status}, recorded)",
    )

    # nginx spreads the requests over both nodes, serves /static/ and keeps /media/ internal.
    start = (stack.workdir / "nginx-access.log").stat().st_size
    for _ in range(10):
        call(proxy, "GET", "/healthz")
    served = [line[0] for line in nginx_lines(stack, start) if line[3] == "/healthz"]
    counts = {node: served.count(f"127.0.0.1:{port}") for node, port in stack.node_ports.items()}
    check(
        min(counts.values()) >= 3,
        f"nginx: spreads ten requests over both nodes (A {counts['A']}, B {counts['B']})",
    )
    manifest = json.loads((stack.static / "staticfiles.json").read_text())["paths"]
    css = next(hashed for name, hashed in manifest.items() if name.endswith(".css"))
    status, headers, _text, _new = call(proxy, "GET", f"/static/{css}")
    check(
        status == 200
        and headers.get("X-Request-ID") is None
        and "max-age" in headers.get("Cache-Control", ""),
        f"nginx: serves /static/{css} itself from STATIC_ROOT ({status}, cached for ever)",
    )
    shared_media(stack, world)
    (stack.media / "secret.txt").write_text("not for everyone")
    status = call(proxy, "GET", "/media/secret.txt")[0]
    check(status == 404, f"nginx: /media/ is internal, never served directly ({status})")


def shared_media(stack: Stack, world: World) -> None:
    """A photo uploaded to node A is found by node B and sent by nginx: MEDIA_ROOT is one
    directory for both (a shared volume in production)."""
    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(jpeg, "JPEG")
    boundary = secrets.token_hex(12)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    key = {"Authorization": f"Bearer {world.admin_key}"}
    status, _h, text, _new = call(
        stack.node_ports["A"],
        "POST",
        f"/api/v1/activities/{world.due.pk}/photos",
        body=body,
        headers={**key, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    url = json.loads(text).get("url", "") if status == 201 else ""
    on_b, headers, _text, _new = call(stack.node_ports["B"], "GET", url, headers=key)
    accel = headers.get("X-Accel-Redirect") or ""
    stored = accel.startswith("/media/") and (stack.media / accel.removeprefix("/media/")).exists()
    through, headers, text, _new = call(stack.nginx_port, "GET", url, headers=key)
    check(
        status == 201 and on_b == 200 and stored and through == 200 and len(text) > 1000,
        f"node A stores a photo ({status}); node B finds it in the shared MEDIA_ROOT "
        f"({on_b}, X-Accel-Redirect {accel or 'missing'}) and nginx sends it from its internal "
        f"/media/ ({through}, {headers.get('Content-Type')})",
    )


def scheduled_close(stack: Stack, world: World) -> None:
    """Both beats send close-due-activities once a minute; the worker runs it once per
    slot (core.scheduling.run_job) and the due activity is closed once."""
    from dangjian.audit.models import AuditEntry
    from dangjian.themedays.models import ActivityEvent, ActivityStatus

    sent = "Sending due task close-due-activities"
    skipped = "scheduled job close-due-activities skipped"
    # At most two minutes: by then each beat has sent it in a slot the other sent it in.
    deadline = stack.beats_started + 150
    while time.time() < deadline:
        if (
            sent in stack.log("beat1")
            and sent in stack.log("beat2")
            and skipped in stack.log("worker")
        ):
            break
        time.sleep(1)
    time.sleep(2)  # any other run of the job the beats sent meanwhile
    sends = stack.log("beat1").count(sent) + stack.log("beat2").count(sent)
    skips = stack.log("worker").count(skipped)
    world.due.refresh_from_db()
    closes = ActivityEvent.objects.filter(activity=world.due, action="close").count()
    audited = AuditEntry.objects.filter(
        action="activity.close", object_id=str(world.due.pk)
    ).count()
    check(
        sends >= 2 and skips >= 1 and sends - skips >= 1,
        f"scheduler: two beats sent close-due-activities {sends} times; the worker ran it "
        f"{sends - skips} time(s), once a minute's slot, and skipped {skips}",
    )
    check(
        world.due.status == ActivityStatus.CLOSED and closes == 1 and audited == 1,
        f"scheduler: the activity whose check-out window ended is closed once "
        f"({world.due.status}, {closes} close in its history, {audited} audit entry)",
    )


# ------------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        sys.exit("nginx is not installed: apt-get install -y nginx (or `make nodes`)")
    if not args.no_load and shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk): the journeys only")
        args.no_load = True
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/{args.database}"
    if not args.database_url:
        create_database(args.database)
    setup_django(url)
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    prepare_database(args.seed, migrate=not args.database_url)
    world = World()
    lines = [] if args.no_load else load_lines(5000)
    from django.db import connection

    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="two-nodes-"))
    workdir.chmod(0o755)  # nginx's workers read static and media files here
    stack = Stack(args, url, workdir)
    try:
        stack.start_beats()  # first: the scheduler's check waits for their first sends
        stack.collectstatic()
        stack.start_worker()
        stack.start_nodes()
        stack.start_nginx()
        up = all(
            wait_for(port, what)
            for what, port in (
                ("node A", stack.node_ports["A"]),
                ("node B", stack.node_ports["B"]),
                ("nginx", stack.nginx_port),
            )
        )
        if up:
            journeys(stack, world)
            scheduled_close(stack, world)
            if not args.no_load:
                _two_nodes_load.run(stack, lines, args, check)
    finally:
        stack.stop()
        connection.close()
    failed = [what for ok, what in results if not ok]
    if failed:
        print(f"\n{len(failed)} of {len(results)} checks failed; logs in {workdir}")
        sys.exit(1)
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nall {len(results)} checks passed")


if __name__ == "__main__":
    main()
