"""scripts/two_nodes.py's load: check-ins through nginx with wrk, and the CPU seconds each
part of the stack spent on them, read from /proc/<pid>/stat before and after (user + system
time; a process that started meanwhile counts from zero)."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
CHECK_IN = "/api/v1/attendance/check-in"
# gunicorn's access line of each request (`--access-logformat`): what each node answered,
# counted even when wrk had hung up by then (nginx logs those 499).
ACCESS_FORMAT = "ACCESS %(s)s %(m)s %(U)s"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far, 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def process_tree(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            parents[int(entry.name)] = int(stat[1])
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def backends(application_name: str) -> list[int]:
    """PostgreSQL's processes serving the connections a process of this name opened
    (PGAPPNAME): the node's share of the database's CPU."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name]
        )
        return [row[0] for row in cursor.fetchall()]


def machine_busy_seconds() -> float:
    """CPU time spent by every process of this machine (user, nice, system, interrupts)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def parts(stack) -> dict[str, list[int]]:
    found = {}
    for node in stack.node_ports:
        name = f"node_{node.lower()}"
        found[f"node {node} gunicorn"] = process_tree(stack.processes[name].pid)
        found[f"node {node} PostgreSQL"] = backends(f"two_nodes_{name}")
    found["nginx"] = process_tree(stack.processes["nginx"].pid)
    found["worker + beats"] = [
        pid
        for name in ("worker", "beat1", "beat2")
        for pid in (*process_tree(stack.processes[name].pid), *backends(f"two_nodes_{name}"))
    ]
    return found


def sample(stack) -> dict[str, dict[int, float]]:
    return {part: {pid: cpu_seconds(pid) for pid in pids} for part, pids in parts(stack).items()}


def answered(stack, node: str, start: int) -> dict[str, int]:
    """The node's answers to check-ins since byte `start` of its log, by status."""
    with open(stack.workdir / f"node_{node.lower()}.log", "rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    counts: dict[str, int] = {}
    for status in re.findall(rf"^ACCESS (\d+) POST {CHECK_IN}$", text, re.MULTILINE):
        counts[status] = counts.get(status, 0) + 1
    return counts


def run(stack, lines: list[tuple[str, str]], args, check) -> None:
    """A short check-in load through nginx, each request a different member, and the CPU
    seconds per check-in of each node, of nginx and of the worker, which add up."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _serve import LINES_LUA, write_lines

    warm, measured = lines[:200], lines[200:]
    (stack.workdir / "checkin.lua").write_text(LINES_LUA)
    for name, chunk in (("warm.tsv", warm), ("load.tsv", measured)):
        write_lines(stack.workdir / name, [(key, "POST", CHECK_IN, body) for key, body in chunk])
    wrk = shutil.which("wrk")
    script = ["-s", str(stack.workdir / "checkin.lua"), f"http://127.0.0.1:{stack.nginx_port}/"]
    connections = f"-c{args.connections}"
    # Each wrk thread stops before its members run out (a member's second check-in is a 200,
    # not a check-in), leaving one request a connection unsent: the load ends at
    # --load-seconds or when the demo's members are used up, whichever comes first.
    limit = str(len(measured) - args.connections)
    # Every worker's connections and prepared statements made before anything is measured.
    subprocess.run(  # noqa: S603 (our own commands)
        [
            wrk,
            "-t2",
            connections,
            "-d2s",
            *script,
            "--",
            str(stack.workdir / "warm.tsv"),
            "2",
            str(len(warm) - args.connections),
        ],
        capture_output=True,
        check=True,
    )
    time.sleep(1)
    starts = {node: (stack.workdir / f"node_{node.lower()}.log").stat().st_size for node in "AB"}
    before, busy_before, wrk_before = sample(stack), machine_busy_seconds(), os.times()
    out = subprocess.run(  # noqa: S603 (our own commands)
        [
            wrk,
            "-t2",
            connections,
            f"-d{args.load_seconds}s",
            "--latency",
            *script,
            "--",
            str(stack.workdir / "load.tsv"),
            "2",
            limit,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    time.sleep(1)  # the requests wrk hung up on finish; the worker's recomputes are counted
    after, busy = sample(stack), machine_busy_seconds() - busy_before
    wrk_cpu = sum(os.times()[2:4]) - sum(wrk_before[2:4])
    load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    answers = {node: answered(stack, node, starts[node]) for node in "AB"}
    per_node = {node: answers[node].get("201", 0) for node in "AB"}
    others = {
        f"{node} {status}": n
        for node in "AB"
        for status, n in answers[node].items()
        if status != "201"
    }
    checkins = sum(per_node.values())
    spent = {
        part: sum(max(0.0, cpu - before[part].get(pid, 0.0)) for pid, cpu in pids.items())
        for part, pids in after.items()
    }
    p99 = re.search(r"\s99%\s+(\S+)", out)
    # No rate: wrk divides by --load-seconds even when its threads ran out of members sooner.
    print(
        f"\nLoad through nginx ({args.connections} connections, at most {args.load_seconds} s "
        f"or until the members ran out): {checkins} check-ins answered 201 "
        f"(p99 {p99.group(1) if p99 else '?'}), other answers {others or 'none'}; "
        f"load average {load_average}"
    )
    print(f"  {'':22}{'CPU s':>8}{'check-ins':>11}{'ms CPU per check-in':>21}")

    def row(label: str, seconds: float, count: int | None = None) -> None:
        share = f"{1000 * seconds / count:21.2f}" if count else ""
        print(f"  {label:<22}{seconds:8.2f}{count if count else '':>11}{share}")

    terms = []
    for node in "AB":
        row(f"node {node} gunicorn", spent[f"node {node} gunicorn"])
        row(f"node {node} PostgreSQL", spent[f"node {node} PostgreSQL"])
        own = spent[f"node {node} gunicorn"] + spent[f"node {node} PostgreSQL"]
        row(f"node {node}", own, per_node[node])
        terms.append((own, per_node[node]))
    for part in ("nginx", "worker + beats"):
        row(part, spent[part], checkins)
        terms.append((spent[part], checkins))
    total = sum(spent.values())
    row("total", total, checkins)
    sum_text = " + ".join(f"{1000 * s / n:.2f} ms x {n}" for s, n in terms if n)
    added = sum(s for s, n in terms if n)
    print(f"  adding up: {sum_text} = {added:.2f} s = the total {total:.2f} s")
    print(
        f"  the machine's CPU meanwhile: {busy:.2f} s, of which wrk {wrk_cpu:.2f} s and "
        f"{busy - total - wrk_cpu:.2f} s other processes (the machine is shared)"
    )
    check(
        checkins > 0 and min(per_node.values()) > 0 and not others,
        f"load: {checkins} check-ins through nginx, node A {per_node['A']} and node B "
        f"{per_node['B']}, no other answers",
    )
