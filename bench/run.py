"""`make bench`: load the portal and a bare-Flask baseline in one run and print the ratios.

Both apps run under gunicorn with 2 sync workers on SQLite, on loopback. wrk loads each
endpoint for a fixed duration at 16 and 64 connections; every portal figure is printed with
its ratio to the matching baseline figure from the same run. Nothing here is a timed
assertion: the table is the result, and bench/RESULTS.md keeps the latest one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = [16, 64]
VENV_BIN = Path(sys.executable).parent


@dataclass
class Request:
    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # A full wrk Lua script for stateful requests (one wrk thread per connection, each
    # with its own city or conversation); `{done}` is replaced by the reporting function.
    lua: str | None = None


@dataclass
class Scenario:
    name: str
    baseline: str  # "GET" or "POST": which baseline figure the ratio is against
    goal: float  # minimum ratio to the baseline
    request: Request


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_gunicorn(app_path: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    # The log goes to a file: an unread pipe would fill up and stall the server.
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "--log-level", "warning", app_path],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
        start_new_session=True,
    )


def _lua_string(value: str) -> str:
    level = "=" * 4
    return f"[{level}[{value}]{level}]"


DONE_FUNCTION = (
    "done = function(summary, latency, requests)\n"
    "  io.write(string.format('JSON {\"p50\": %d, \"p99\": %d, \"non2xx\": %d, "
    "\"errors\": %d}\\n', latency:percentile(50), latency:percentile(99), "
    "summary.errors.status, summary.errors.connect + summary.errors.read + "
    "summary.errors.write + summary.errors.timeout))\nend"
)


def run_wrk(base: str, request: Request, connections: int, duration: int) -> Result:
    threads = 2
    if request.lua is not None:
        script_lines = [request.lua, DONE_FUNCTION]
        threads = connections
        return _wrk(base, request, script_lines, threads, connections, duration)
    script_lines = [f"wrk.method = {_lua_string(request.method)}"]
    if request.body is not None:
        script_lines.append(f"wrk.body = {_lua_string(request.body)}")
    for name, value in request.headers.items():
        script_lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    script_lines.append(DONE_FUNCTION)
    return _wrk(base, request, script_lines, threads, connections, duration)


def _wrk(base, request, script_lines, threads, connections, duration) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write("\n".join(script_lines))
        script = handle.name
    try:
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s",
             script, base + request.path],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(script)
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    stats_match = re.search(r"JSON (\{.*\})", output)
    if not (rps_match and stats_match):
        raise RuntimeError(f"unexpected wrk output for {request.path}:\n{output}")
    rps = float(rps_match.group(1))
    stats = json.loads(stats_match.group(1))
    return Result(rps=rps, p50_ms=stats["p50"] / 1000, p99_ms=stats["p99"] / 1000,
                  errors=stats["non2xx"] + stats["errors"])


def create_private_postgres(base_url: str) -> tuple[str, str]:
    """A fresh database for this run on the given server, so nothing else is touched."""
    import psycopg

    name = f"u4ssc_bench_{os.getpid()}"
    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return base_url, base_url.rsplit("/", 1)[0] + "/" + name


def drop_private_postgres(base_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def worker_rss_mb(master: subprocess.Popen) -> float:
    """The largest resident set among the gunicorn master's worker processes."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master.pid)],
                              capture_output=True, text=True).stdout.split()
    sizes = []
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        if match:
            sizes.append(int(match.group(1)) / 1024)
    return max(sizes) if sizes else float("nan")


class Browser:
    """Just enough of a browser to fetch pages with cookies and read CSRF tokens."""

    def __init__(self, base: str):
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=30).read().decode()

    def post(self, path: str, data: dict | None = None, json_body: dict | None = None):
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = {"Content-Type": "application/json"}
        else:
            body = urllib.parse.urlencode(data or {}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        return self.opener.open(request, timeout=60)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    @staticmethod
    def csrf_token(html: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'<meta name="csrf-token" content="([^"]+)"', html)
        return match.group(1)


def portal_scenarios(base: str) -> list[Scenario]:
    """Requests a real user makes, prepared against the running portal."""
    from bench import scenarios

    return scenarios.build(base, Browser, max_connections=max(CONNECTIONS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--database-url", default=None,
                        help="run the portal on this database (e.g. PostgreSQL)")
    parser.add_argument("--only", default=None, help="comma-separated scenario names")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    global CONNECTIONS
    CONNECTIONS = [int(c) for c in args.connections.split(",")]
    if not shutil.which("wrk"):
        print("wrk is not installed: run `bash .ci/system-deps.sh`", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="u4ssc-bench-"))
    private_database = None
    if args.database_url and args.database_url.startswith("postgres"):
        private_database = create_private_postgres(args.database_url)
        database_url = private_database[1]
    else:
        database_url = args.database_url or f"sqlite:///{workdir}/portal.db"
    # Rate limits are per client address and all load comes from one loopback address.
    env = dict(os.environ, SECRET_KEY="bench-secret", DATABASE_URL=database_url,
               RATELIMIT_ENABLED="false",
               BASELINE_DB=str(workdir / "baseline.db"), FLASK_APP="wsgi",
               PUBLIC_BASE_URL="http://127.0.0.1")
    env.pop("REDIS_URL", None)
    os.environ.update({k: env[k] for k in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL")})
    os.environ.pop("REDIS_URL", None)
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([str(VENV_BIN / "flask"), "demo", "load"], cwd=ROOT, env=env,
                   capture_output=True)

    portal_port, baseline_port = free_port(), free_port()
    portal_log = ROOT / "bench" / "out" / "portal-gunicorn.log"
    portal_log.parent.mkdir(exist_ok=True)
    portal = start_gunicorn("wsgi:app", portal_port, env, portal_log)
    baseline = start_gunicorn("bench.baseline_app:app", baseline_port, env,
                              portal_log.with_name("baseline-gunicorn.log"))
    portal_base = f"http://127.0.0.1:{portal_port}"
    baseline_base = f"http://127.0.0.1:{baseline_port}"
    rows = []
    try:
        wait_for(portal_base + "/healthz")
        wait_for(baseline_base + "/")
        scenarios = portal_scenarios(portal_base)
        if args.only:
            wanted = set(args.only.split(","))
            scenarios = [s for s in scenarios if s.name in wanted]
        baseline_requests = {
            "GET": Request("GET", "/"),
            "POST": Request("POST", "/submit",
                            body="name=Ana&email=ana%40example.org&city=Bizerte&country=TN"
                                 "&population=142966&note=hello",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}),
        }
        for connections in [int(c) for c in args.connections.split(",")]:
            base_results = {kind: run_wrk(baseline_base, request, connections, args.duration)
                            for kind, request in baseline_requests.items()}
            for kind, result in base_results.items():
                rows.append((f"baseline {kind}", connections, result, None, None))
            for scenario in scenarios:
                result = run_wrk(portal_base, scenario.request, connections, args.duration)
                ratio = result.rps / base_results[scenario.baseline].rps
                rows.append((scenario.name, connections, result, ratio, scenario.goal))
        rss = worker_rss_mb(portal)
    finally:
        for process in (portal, baseline):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
        if private_database:
            drop_private_postgres(*private_database)

    table = format_table(rows, rss, database_url)
    if not args.only and not args.database_url:
        from bench.rq_bench import format_result, measure

        rq_result = measure()
        table += "\n\n" + format_result(rq_result)
    print(table)
    if args.write_results:
        results = ROOT / "bench" / "RESULTS.md"
        old = results.read_text() if results.exists() else ""
        head, rest = split_results(old)
        if args.database_url:  # a second run (PostgreSQL) follows the first
            head = head.rstrip() + "\n\n" + table + "\n"
        else:
            head = results_document(table)
        results.write_text(head + ("\n" + rest if rest else ""))
    missed = [f"{r[0]} at {r[1]} connections" for r in rows if r[3] is not None and r[3] < r[4]]
    if rss > 150:
        missed.append("web worker memory")
    # A benchmark reports; it does not fail the build (goals missed are listed, with their
    # causes, in bench/README.md).
    print(f"\ngoals missed: {len(missed)}" + (f" ({'; '.join(missed)})" if missed else ""))
    return 0


def format_table(rows, rss: float, database_url: str) -> str:
    backend = database_url.split(":", 1)[0]
    lines = [
        f"database: {backend}",
        "",
        "| endpoint | conns | req/s | p50 ms | p99 ms | errors | ratio | goal | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, connections, result, ratio, goal in rows:
        ratio_text = "" if ratio is None else f"{ratio:.0%}"
        goal_text = "" if goal is None else f"≥ {goal:.0%}"
        met = "" if goal is None else ("yes" if ratio >= goal else "NO")
        lines.append(
            f"| {name} | {connections} | {result.rps:.0f} | {result.p50_ms:.1f} | "
            f"{result.p99_ms:.1f} | {result.errors} | {ratio_text} | {goal_text} | {met} |"
        )
    lines += ["", f"web worker resident memory after the load: {rss:.0f} MB (goal ≤ 150 MB)"]
    return "\n".join(lines)


# bench/RESULTS.md holds this run's tables first, then the sections other benches keep
# (slow line, scale, fixed cost), from this marker on: a new run replaces only its own part.
OTHER_SECTIONS = "<!-- slow-line:start -->"


def split_results(text: str) -> tuple[str, str]:
    """This bench's part of RESULTS.md and the rest, which it leaves as it is."""
    if OTHER_SECTIONS not in text:
        return text, ""
    at = text.index(OTHER_SECTIONS)
    return text[:at], text[at:]


def results_document(table: str) -> str:
    machine = (f"{platform.machine()}, {os.cpu_count()} cores, "
               f"{platform.python_implementation()} {platform.python_version()}, "
               f"{platform.system()} {platform.release()}")
    return (
        "# Benchmark results\n\n"
        "Produced by `make bench` (bench/run.py): gunicorn with 2 sync workers, loaded by wrk "
        "from a second process on loopback; ratios are against the bare-Flask baseline "
        "(bench/baseline_app.py) measured in the same run.\n\n"
        f"Machine: {machine}. Date: {time.strftime('%Y-%m-%d')}.\n\n{table}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
