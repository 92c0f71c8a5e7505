"""What the benchmarks share: gunicorn started as they run it, and wrk's figures.
Importing it sets nothing up (the measured apps are other processes)."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer on {url}")


def start_gunicorn(app: str, args, *, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    """gunicorn as the benchmarks run it: sync workers, a deep backlog, the heartbeat file
    in memory as in production, its own session (stopped with os.killpg)."""
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "sync",
            "--backlog",
            "2048",
            # As docs/operations.md: the heartbeat file in memory, not on disk, and 120 s
            # before a silent worker is killed (a wrk thread that sent its last line leaves
            # a connection open until wrk ends; gunicorn's default 30 s killed the workers).
            "--worker-tmp-dir",
            "/dev/shm",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=cwd,
        env=env,
        start_new_session=True,
    )


def warm_up(url: str, connections: int) -> None:
    """Wait for the server, then warm every worker's connection and caches before measuring."""
    wait_for(url)
    subprocess.run(["wrk", "-t2", f"-c{connections}", "-d3s", url], capture_output=True, check=True)


def wrk(args: list[str], *, until: Path | None = None) -> dict:
    """wrk's figures. With `until` (the file LINES_LUA's thread leaves when it has sent its
    lines), wrk is ended with SIGINT, which makes it print its figures as at the end of
    `-d`, as soon as the file appears: a stopped thread leaves connections open that it
    never sends on, each holding a sync worker in `recv` until wrk exits, and wrk's main
    thread would otherwise sleep the whole `-d`."""
    if until is None:
        out = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout
    else:
        until.unlink(missing_ok=True)
        with subprocess.Popen(["wrk", *args], stdout=subprocess.PIPE, text=True) as proc:
            while proc.poll() is None and not until.exists():
                time.sleep(0.05)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
            out = proc.communicate()[0]
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, "wrk", out)
    figures = {"raw": out}
    figures["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    for pct in ("50", "90", "99"):
        m = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        figures[f"p{pct}"] = (
            value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
        )
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    figures["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return figures


def show(label: str, f: dict) -> None:
    print(
        f"{label:10} {f['rps']:8.0f} req/s  p50 {f['p50']:6.1f} ms  p90 {f['p90']:6.1f} ms  "
        f"p99 {f['p99']:6.1f} ms  requests {f['requests']}  "
        f"errors {f['non2xx'] + f['socket_errors']}"
        + (
            f" (non-2xx {f['non2xx']}, socket {f['socket_errors']}: see docs/performance.md)"
            if f["non2xx"] or f["socket_errors"]
            else ""
        )
    )


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def server_pids(master: int, database: str) -> set[int]:
    """gunicorn's workers and the PostgreSQL backends serving this database (on this host)."""
    from django.db import connection

    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        )
        backends = [row[0] for row in cursor.fetchall()]
    connection.close()
    return {int(pid) for pid in children} | set(backends)


# wrk's script for a phase of distinct requests read from a file, one line each: token,
# method, path, body (tab-separated). Thread t of n sends lines t, t+n, t+2n, … and stops
# before the line `limit` (args: file, n, limit), so no line is sent twice; with a fourth
# argument, a path, the thread that stops creates that file (`wrk(until=…)`). Each thread
# counts the answers by status; `done` prints them as "status <code> <count>" lines
# (`statuses()` reads them), since wrk itself only counts "non-2xx".
LINES_LUA = r"""
local items = {}
local counter, step, limit = 0, 1, 0
local nthreads = 0
local threads = {}
statuses = {}

setup = function(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(args[1]) do
    local a = line:find("\t")
    local b = line:find("\t", a + 1)
    local c = line:find("\t", b + 1)
    items[#items + 1] = {line:sub(1, a - 1), line:sub(a + 1, b - 1), line:sub(b + 1, c - 1),
                         line:sub(c + 1)}
  end
  counter = tid
  step = tonumber(args[2])
  limit = tonumber(args[3])
  marker = args[4]
end

request = function()
  local item = items[(counter % #items) + 1]
  counter = counter + step
  local body = item[4]
  if body == "" then body = nil end
  return wrk.format(item[2], item[3], {
    ["Authorization"] = "Bearer " .. item[1],
    ["Content-Type"] = "application/json",
  }, body)
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if counter >= limit then
    if marker then
      io.open(marker, "w"):close()
    end
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d %d\n", status, n))
  end
end
"""


def statuses(figures: dict) -> dict[int, int]:
    """The answers' statuses counted by LINES_LUA, from wrk's output."""
    return {
        int(code): int(n) for code, n in re.findall(r"^status (\d+) (\d+)$", figures["raw"], re.M)
    }


def write_lines(path: Path, lines) -> None:
    """A phase's requests for LINES_LUA: (token, method, path, body) each."""
    with open(path, "w") as out:
        for line in lines:
            out.write("\t".join(line) + "\n")
