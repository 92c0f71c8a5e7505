"""`make fuzz`: schemathesis against the running app's OpenAPI document, as the city admin
and as a member, and 0 server errors expected.

A fresh database under var/fuzz/ (SQLite, or FUZZ_DATABASE_URL), migrated and seeded with
the demo city (`manage.py seed --scale demo --months N`); gunicorn serves it on a port of
its own with REDIS_URL unset (tasks run in the request, nothing touches a shared Redis).
Two runs of `schemathesis run` follow, each with the bearer token of its demo login from
POST /api/v1/auth/token: all four phases (examples, coverage, fuzzing, stateful), the
`not_a_server_error` check, a fixed seed. The server's access log counts the requests
and the 5xx answers; the server's log keeps the tracebacks. Exits non-zero on any 5xx
answer or a failed schemathesis run.

    make fuzz                                                      # the full run
    make fuzz FUZZ_EXAMPLES=3 FUZZ_PHASES=examples,fuzzing,stateful  # short (.ci/run)

Settings from the environment: FUZZ_EXAMPLES (cases per operation in the fuzzing phase,
scenarios in the stateful one), FUZZ_SEED, FUZZ_PORT, FUZZ_MONTHS (simulated months of
theme days to seed), FUZZ_PHASES, FUZZ_DATABASE_URL (a PostgreSQL database, its name with
"fuzz" in it, that this script drops and creates again), FUZZ_ARGS (more
options for schemathesis). What each run found is in var/fuzz/: result.json, the access
log, the server's log (tracebacks) and schemathesis' reports.
"""

import base64
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
OUT = ROOT / "var" / "fuzz"

# The demo logins (dangjian.demodata.seeding.DEMO_LOGINS): the city admin reaches every
# endpoint an admin may; the member reaches what a member may, and is refused the rest.
ROLES = [("member", "13900000004"), ("city-admin", "13900000001")]
DEMO_PASSWORD = "Dangjian@2026"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


EXAMPLES = env_int("FUZZ_EXAMPLES", 50)
SEED = env_int("FUZZ_SEED", 17)
MONTHS = env_int("FUZZ_MONTHS", 1)
PHASES = os.environ.get("FUZZ_PHASES") or "examples,coverage,fuzzing,stateful"
EXTRA_ARGS = shlex.split(os.environ.get("FUZZ_ARGS", ""))
# Operations that end the caller's (or its member's) sign-ins: in the main runs they would
# revoke the run's own token and leave the rest of it answering 401. They get a pass of
# their own once both roles' main runs are done.
ENDS_SIGN_INS = (
    r"/auth/logout$|/auth/tokens/\{[^}]+\}$|/sign-out-everywhere$"
    r"|/members/\{[^}]+\}/(password|leave)$"
)


def log(message: str) -> None:
    print(f"fuzz: {message}", flush=True)


def free_port(preferred: int) -> int:
    """The preferred port if nothing listens there, else one the system picks."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            # As gunicorn binds: a port whose last connections are still closing is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise SystemExit("fuzz: no free port")


def server_env(port: int) -> dict[str, str]:
    """The app's settings for this run: its own database, files and keys, no Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))}
    env.pop("SQLITE_PATH", None)
    env.update(
        DJANGO_SETTINGS_MODULE="dangjian.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ID_NUMBER_HASH_KEY=secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{port}",
        MEDIA_ROOT=str(OUT / "media"),
        STATIC_ROOT=str(OUT / "static"),
        # The tracebacks and refusals, not a line of every notification sent.
        LOG_LEVEL="WARNING",
    )
    url = os.environ.get("FUZZ_DATABASE_URL")
    if url:
        env["DATABASE_URL"] = url
    else:
        env["SQLITE_PATH"] = str(OUT / "fuzz.sqlite3")
    return env


def fresh_database(env: dict[str, str]) -> None:
    url = env.get("DATABASE_URL")
    if not url:
        for suffix in ("", "-wal", "-shm"):
            Path(env["SQLITE_PATH"] + suffix).unlink(missing_ok=True)
        return
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not parts.scheme.startswith("postgres") or "fuzz" not in name:
        # It is dropped: a name that says so keeps anyone's own database out of reach.
        raise SystemExit("fuzz: FUZZ_DATABASE_URL must be postgres://…/<a name with 'fuzz'>")
    import psycopg

    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> None:
    log("manage.py " + " ".join(args))
    subprocess.run(  # noqa: S603 (our own commands)
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=(OUT / "setup.log").open("a"),
        stderr=subprocess.STDOUT,
    )


def request_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (our server)
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
        return json.load(response)


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"fuzz: the server stopped (exit {server.returncode}), see server.log")
        try:
            request_json(url)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise SystemExit(f"fuzz: {url} did not answer within {seconds:.0f} s")


def access_lines(path: Path, start: int) -> list[tuple[int, str, str]]:
    """(status, method, path) of each request the access log has after its first `start`
    lines (one line a request: see the access-log format in start_server)."""
    rows = []
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines):
            if number < start:
                continue
            status, method, where = (line.rstrip("\n").split(" ", 2) + ["", ""])[:3]
            rows.append((int(status) if status.isdigit() else 0, method, where))
    return rows


def count_lines(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def seeded_ids(env: dict[str, str]) -> dict[str, list[int]]:
    """Identifiers of seeded objects, the member's own first, for the dictionaries that the
    generated requests draw their ids from part of the time: random integers alone almost
    never name an object, and the endpoints' rules past the 404 would go untested."""
    os.environ.update(env)
    import django

    django.setup()
    from dangjian.attendance.models import Correction, LeaveRequest
    from dangjian.demodata.tree import DEMO_BRANCH_CODE
    from dangjian.interaction.models import Comment
    from dangjian.notifications.models import Notification
    from dangjian.registry.models import Member, Organization, OrgKind, User
    from dangjian.supervision.models import Rectification, RectificationAttachment, SpotCheck
    from dangjian.themedays.models import Activity, Campaign, CampaignAttachment

    def ids(qs, n: int = 10) -> list[int]:
        return list(qs.order_by("pk").values_list("pk", flat=True)[:n])

    def unique(values: list[int]) -> list[int]:
        return list(dict.fromkeys(values))

    branch = Organization.objects.get(code=DEMO_BRANCH_CODE)
    orgs = [a.pk for a in Organization.objects.get_ancestors(branch)] + [branch.pk]
    orgs += ids(Organization.objects.filter(kind=OrgKind.BRANCH).exclude(pk=branch.pk), 6)
    demo_phones = [phone for _role, phone in ROLES] + ["13900000002", "13900000003"]
    activities = ids(Activity.objects.filter(branch=branch), 20) + ids(
        Activity.objects.exclude(branch=branch), 6
    )
    found = {
        "org": orgs,
        "member": ids(Member.objects.filter(branch=branch), 12) + ids(Member.objects, 4),
        "user": ids(User.objects.filter(phone__in=demo_phones)),
        "activity": activities,
        "campaign": ids(Campaign.objects),
        "campaign_attachment": ids(CampaignAttachment.objects),
        "comment": ids(Comment.objects.filter(activity_id__in=activities), 12),
        "leave": ids(LeaveRequest.objects),
        "correction": ids(Correction.objects),
        "notification": ids(Notification.objects.filter(user__phone__in=demo_phones), 12),
        "rectification": ids(Rectification.objects),
        "rectification_attachment": ids(RectificationAttachment.objects),
        "spot_check": ids(SpotCheck.objects),
    }
    return {name: unique(values) for name, values in found.items() if values}


# Which parameters draw from which dictionary, and how often (else generated as usual).
BINDINGS = {
    "path.org_id": "org",
    "query.org_id": "org",
    "body.org_id": "org",
    "body.parent_id": "org",
    "body.branch_id": "org",
    "path.member_id": "member",
    "body.member_id": "member",
    "path.user_id": "user",
    "path.activity_id": "activity",
    "body.campaign_id": "campaign",
    "path.campaign_id": "campaign",
    "path.attachment_id": "campaign_attachment",
    "path.comment_id": "comment",
    "path.leave_id": "leave",
    "path.correction_id": "correction",
    "path.notification_id": "notification",
    "path.rectification_id": "rectification",
    "path.spot_check_id": "spot_check",
}


def write_config(ids: dict[str, list[int]]) -> Path:
    """schemathesis.toml for both runs: the seeded ids as dictionaries."""
    lines = ["[dictionaries]"]
    lines += [f"{name} = {{ values = {values} }}" for name, values in ids.items()]
    lines += ["", "[parameters]"]
    lines += [
        f'"{key}" = {{ dictionary = "{name}", probability = 0.6 }}'
        for key, name in BINDINGS.items()
        if name in ids
    ]
    # Scenarios chain calls on the objects that earlier calls created: only valid requests
    # create any (the other phases send invalid ones as well).
    lines += ["", "[phases.stateful.generation]", 'mode = "positive"']
    path = OUT / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_server(env: dict[str, str], port: int) -> subprocess.Popen:
    log(f"serving on 127.0.0.1:{port}")
    return subprocess.Popen(  # noqa: S603 (our own commands)
        [
            str(VENV_BIN / "gunicorn"),
            "dangjian.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--access-logfile",
            str(OUT / "access.log"),
            "--access-logformat",
            "%(s)s %(m)s %(U)s?%(q)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=(OUT / "server.log").open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def fuzz(role: str, token: str, base: str, config: Path, *, last: bool = False) -> dict:
    """One schemathesis run; its reports go to var/fuzz/<role>/ (its working directory, so
    that its own caches stay there too). `last`: only the operations that end sign-ins;
    otherwise all the others."""
    name = f"{role}-last" if last else role
    report_dir = OUT / name
    report_dir.mkdir()
    which = "--include-path-regex" if last else "--exclude-path-regex"
    command = [
        str(VENV_BIN / "schemathesis"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base}/api/v1/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        "not_a_server_error",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit,ndjson",
        "--report-dir",
        str(report_dir),
        which,
        ENDS_SIGN_INS,
        *EXTRA_ARGS,
    ]
    shown = ["Authorization: …" if c.startswith("Authorization:") else c for c in command]
    log(f"{name}: " + shlex.join(shown))
    access = OUT / "access.log"
    before = count_lines(access)
    started = time.monotonic()
    with (report_dir / "output.txt").open("w") as output:
        code = subprocess.run(  # noqa: S603 (our own commands)
            command, cwd=report_dir, stdout=output, stderr=subprocess.STDOUT, check=False
        ).returncode
    seconds = time.monotonic() - started
    rows = access_lines(access, before)
    errors = Counter(
        f"{status} {method} {where.split('?')[0]}" for status, method, where in rows if status > 499
    )
    result = {
        "role": name,
        "requests": len(rows),
        "server_errors": sum(errors.values()),
        "by_endpoint": dict(errors.most_common()),
        "schemathesis_exit": code,
        "seconds": round(seconds, 1),
    }
    log(
        f"{role}: {result['requests']} requests, {result['server_errors']} server errors, "
        f"schemathesis exit {code}, {seconds:.0f} s (output in {report_dir / 'output.txt'})"
    )
    for what, n in errors.most_common():
        log(f"  {n} × {what}")
    return result


def main() -> int:
    started = time.monotonic()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    (OUT / "access.log").touch()
    port = free_port(env_int("FUZZ_PORT", 8123))
    env = server_env(port)
    fresh_database(env)
    manage(env, "migrate", "--noinput")
    seed_args = ["seed", "--scale", "demo"] + (["--months", str(MONTHS)] if MONTHS else [])
    manage(env, *seed_args)
    config = write_config(seeded_ids(env))

    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    try:
        wait_for(f"{base}/api/v1/openapi.json", server)
        tokens = {
            role: request_json(
                f"{base}/api/v1/auth/token", {"phone": phone, "password": DEMO_PASSWORD}
            )["token"]
            for role, phone in ROLES
        }
        runs = [fuzz(role, tokens[role], base, config) for role, _phone in ROLES]
        runs += [fuzz(role, tokens[role], base, config, last=True) for role, _phone in ROLES]
    finally:
        stop_server(server)

    summary = {
        "seed": SEED,
        "max_examples": EXAMPLES,
        "phases": PHASES,
        "months_seeded": MONTHS,
        "database": "postgresql" if env.get("DATABASE_URL") else "sqlite",
        "requests": sum(r["requests"] for r in runs),
        "server_errors": sum(r["server_errors"] for r in runs),
        "seconds": round(time.monotonic() - started, 1),
        "runs": runs,
    }
    (OUT / "result.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    log(
        f"{summary['requests']} requests, {summary['server_errors']} server errors, "
        f"seed {SEED}, {summary['seconds']:.0f} s in all (var/fuzz/result.json)"
    )
    failed = summary["server_errors"] or any(r["schemathesis_exit"] for r in runs)
    if failed:
        log("FAILED: see var/fuzz/server.log for the tracebacks, var/fuzz/<role>/output.txt")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
